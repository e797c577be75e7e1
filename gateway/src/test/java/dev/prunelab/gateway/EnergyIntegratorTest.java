package dev.prunelab.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PowerSourceKind;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class EnergyIntegratorTest {

    static final Instant T0 = Instant.parse("2026-01-31T12:00:00Z");

    static PowerSample sample(double second, String host, String device, double watts) {
        return new PowerSample(T0.plusMillis(Math.round(second * 1000)), host, device, watts, PowerSourceKind.RAPL, null);
    }

    static MeasurementWindow window(double from, double to) {
        return new MeasurementWindow(T0.plusMillis(Math.round(from * 1000)), T0.plusMillis(Math.round(to * 1000)),
                "lab-1", "cpu", "cpu");
    }

    private final EnergyIntegrator integrator = new EnergyIntegrator();

    @Test
    void trapezoidsClippedToTheWindowWithInterpolatedEdges() {
        List<PowerSample> samples = List.of(
                sample(0, "lab-1", "cpu", 100), sample(10, "lab-1", "cpu", 200), sample(20, "lab-1", "cpu", 200),
                sample(10, "other-host", "cpu", 10_000), sample(10, "lab-1", "gpu0", 10_000));
        var energy = integrator.integrate(samples, window(5, 15));
        // P(5) = 150 W: (150 + 200) / 2 x 5 s + (200 + 200) / 2 x 5 s = 875 + 1000 J
        assertEquals(1875.0, energy.joules(), 1e-9);
        assertEquals(1875.0 / 3.6e6 * 475, energy.carbonGrams(), 1e-12);
        assertEquals(10.0, energy.windowSeconds(), 0);
        assertEquals(10.0, energy.coveredSeconds(), 0);
        assertEquals(List.of("cpu"), energy.devices());
        assertFalse(energy.estimated());
    }

    @Test
    void aWindowBetweenTwoSamplesIsInterpolatedAtBothEdges() {
        var energy = integrator.integrate(List.of(sample(0, "lab-1", "cpu", 0), sample(10, "lab-1", "cpu", 100)),
                window(2, 4));
        assertEquals((20 + 40) / 2.0 * 2, energy.joules(), 1e-9); // P(2) = 20 W, P(4) = 40 W
    }

    @Test
    void oneKilowattHourIs475GramsByDefault() {
        List<PowerSample> kw = List.of(sample(0, "lab-1", "cpu", 1000), sample(3600, "lab-1", "cpu", 1000));
        var energy = integrator.integrate(kw, window(0, 3600));
        assertEquals(3.6e6, energy.joules(), 1e-6);
        assertEquals(1.0, energy.kilowattHours(), 1e-12);
        assertEquals(475.0, energy.carbonGrams(), 1e-9);
        assertEquals(100.0, new EnergyIntegrator(100).integrate(kw, window(0, 3600)).carbonGrams(), 1e-9);
    }

    @Test
    void devicesBelowTheWindowsDeviceAreSummed() {
        List<PowerSample> samples = List.of(
                sample(0, "lab-1", "cpu/package-0", 50), sample(10, "lab-1", "cpu/package-0", 50),
                sample(0, "lab-1", "cpu/package-1", 30), sample(10, "lab-1", "cpu/package-1", 30),
                sample(0, "lab-1", "cpux", 1000), sample(10, "lab-1", "cpux", 1000));
        var energy = integrator.integrate(samples, window(0, 10));
        assertEquals(800.0, energy.joules(), 1e-9);
        assertEquals(List.of("cpu/package-0", "cpu/package-1"), energy.devices());
    }

    @Test
    void nothingIsExtrapolatedPastTheSamples() {
        var energy = integrator.integrate(List.of(sample(0, "lab-1", "cpu", 10), sample(5, "lab-1", "cpu", 10)),
                window(-5, 10));
        assertEquals(50.0, energy.joules(), 1e-9);
        assertEquals(5.0, energy.coveredSeconds(), 1e-9);
        assertEquals(15.0, energy.windowSeconds(), 1e-9);
        var none = integrator.integrate(List.of(), window(0, 1));
        assertEquals(0.0, none.joules(), 0);
        assertEquals(0.0, none.coveredSeconds(), 0);
        assertTrue(none.devices().isEmpty());
    }

    @Test
    void estimatesAreFlagged() {
        var estimate = new PowerSample(T0, "lab-1", "cpu", 20, PowerSourceKind.ESTIMATE, "cpu utilisation x TDP 65 W");
        var later = new PowerSample(T0.plusSeconds(2), "lab-1", "cpu", 20, PowerSourceKind.ESTIMATE, "cpu utilisation x TDP 65 W");
        var energy = integrator.integrate(List.of(estimate, later), window(0, 2));
        assertEquals(40.0, energy.joules(), 1e-9);
        assertTrue(energy.estimated());
    }
}
