package dev.prunelab.energy;

import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.measure.EnergyCounter;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.OptionalDouble;

/**
 * Power from an energy counter (RAPL's packages, NVML's board): mean watts = joules between two ticks / seconds
 * between them. The counter handles wrap-around; the first tick only starts the interval.
 */
public final class CounterPowerSource implements PowerSource {

    private final EnergyCounter counter;
    private double previousJoules = Double.NaN;
    private Instant previousAt;

    public CounterPowerSource(EnergyCounter counter) {
        this.counter = counter;
    }

    @Override
    public String device() {
        return counter.device();
    }

    @Override
    public EnergySource kind() {
        return EnergySource.of(counter.source());
    }

    @Override
    public String basis() {
        return counter.basis() + ", as joules between samples / seconds";
    }

    @Override
    public synchronized OptionalDouble sampleWatts(Instant now) throws IOException {
        double joules = counter.joules();
        double previous = previousJoules;
        Instant previousTime = previousAt;
        previousJoules = joules;
        previousAt = now;
        if (Double.isNaN(previous)) {
            return OptionalDouble.empty();
        }
        double seconds = Duration.between(previousTime, now).toNanos() / 1e9;
        return seconds <= 0 ? OptionalDouble.empty() : OptionalDouble.of((joules - previous) / seconds);
    }
}
