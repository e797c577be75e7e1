package dev.prunelab.gateway;

import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PowerSourceKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Energy of a measurement window from power samples: per device, power is linear between consecutive samples
 * and the trapezoidal integral is taken over the window, clipped to it (power at the window's edges
 * interpolated between the samples around them). Nothing is extrapolated past the first or last sample:
 * {@link Energy#coveredSeconds()} says how much of the window the samples covered. Devices are summed.
 *
 * <p>Which samples count: the window's host, and a device equal to the window's device or below it
 * ("cpu" takes "cpu" and "cpu/package-0", "cpu/package-1"; "gpu0" takes "gpu0").
 *
 * <p>Carbon = kWh × intensity, 1 kWh = 3.6 MJ; default intensity {@value #DEFAULT_GRAMS_PER_KWH} gCO2e/kWh.
 */
public final class EnergyIntegrator {

    public static final double DEFAULT_GRAMS_PER_KWH = 475;
    public static final double JOULES_PER_KWH = 3.6e6;

    private final double gramsPerKwh;

    public EnergyIntegrator() {
        this(DEFAULT_GRAMS_PER_KWH);
    }

    public EnergyIntegrator(double gramsPerKwh) {
        if (!(gramsPerKwh >= 0 && Double.isFinite(gramsPerKwh))) {
            throw new IllegalArgumentException("carbon intensity " + gramsPerKwh + " gCO2e/kWh must be >= 0");
        }
        this.gramsPerKwh = gramsPerKwh;
    }

    /**
     * @param joules         energy over the covered part of the window, all matching devices together
     * @param coveredSeconds the part of the window covered by samples, the least of the devices (0 without any)
     * @param devices        the devices summed
     * @param sources        where their numbers came from; {@code estimate} means the energy is one too
     */
    public record Energy(double joules, double carbonGrams, double gramsPerKwh, double windowSeconds,
                         double coveredSeconds, List<String> devices, Set<PowerSourceKind> sources) {

        public double kilowattHours() {
            return joules / JOULES_PER_KWH;
        }

        public boolean estimated() {
            return sources.contains(PowerSourceKind.ESTIMATE);
        }
    }

    public double gramsPerKwh() {
        return gramsPerKwh;
    }

    public static boolean deviceMatches(String windowDevice, String sampleDevice) {
        return sampleDevice.equals(windowDevice) || sampleDevice.startsWith(windowDevice + "/");
    }

    public Energy integrate(Collection<PowerSample> samples, MeasurementWindow window) {
        Map<String, TreeMap<Instant, PowerSample>> byDevice = new TreeMap<>();
        for (PowerSample s : samples) {
            if (s.host().equals(window.host()) && deviceMatches(window.device(), s.device())) {
                byDevice.computeIfAbsent(s.device(), d -> new TreeMap<>()).putIfAbsent(s.occurredAt(), s);
            }
        }
        double windowSeconds = seconds(window.start(), window.end());
        double joules = 0;
        double covered = byDevice.isEmpty() ? 0 : windowSeconds;
        Set<PowerSourceKind> sources = EnumSet.noneOf(PowerSourceKind.class);
        for (TreeMap<Instant, PowerSample> series : byDevice.values()) {
            double[] energyAndCover = trapezoid(new ArrayList<>(series.values()), window.start(), window.end());
            joules += energyAndCover[0];
            covered = Math.min(covered, energyAndCover[1]);
            series.values().forEach(s -> sources.add(s.source()));
        }
        return new Energy(joules, joules / JOULES_PER_KWH * gramsPerKwh, gramsPerKwh, windowSeconds, covered,
                List.copyOf(byDevice.keySet()), sources);
    }

    /** {joules, covered seconds} of one device's time-ordered samples over [start, end]. */
    static double[] trapezoid(List<PowerSample> series, Instant start, Instant end) {
        double joules = 0;
        double covered = 0;
        double windowEnd = seconds(start, end);
        for (int i = 0; i + 1 < series.size(); i++) {
            PowerSample a = series.get(i);
            PowerSample b = series.get(i + 1);
            double ta = seconds(start, a.occurredAt());
            double tb = seconds(start, b.occurredAt());
            double lo = Math.max(ta, 0);
            double hi = Math.min(tb, windowEnd);
            if (hi <= lo) {
                continue;
            }
            double slope = (b.watts() - a.watts()) / (tb - ta);
            double pLo = a.watts() + slope * (lo - ta);
            double pHi = a.watts() + slope * (hi - ta);
            joules += (pLo + pHi) / 2 * (hi - lo);
            covered += hi - lo;
        }
        return new double[] {joules, covered};
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }
}
