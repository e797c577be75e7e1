package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnergyCountersTest {

    private static Path zone(Path powercap, String name, long energy, long max) throws IOException {
        Path zone = Files.createDirectories(powercap.resolve(name));
        Files.writeString(zone.resolve("name"), "package-0\n");
        Files.writeString(zone.resolve("energy_uj"), energy + "\n");
        Files.writeString(zone.resolve("max_energy_range_uj"), max + "\n");
        return zone;
    }

    @Test
    void raplSumsPackagesAndSurvivesAWrap(@TempDir Path powercap) throws IOException {
        Path a = zone(powercap, "intel-rapl:0", 999_000_000L, 1_000_000_000L);
        Path b = zone(powercap, "intel-rapl:1", 5_000_000L, 1_000_000_000L);
        zone(powercap, "intel-rapl:0:0", 1, 1_000_000_000L); // a sub-zone: part of package 0, not counted again
        try (RaplCounter rapl = RaplCounter.open(powercap, false)) {
            Files.writeString(a.resolve("energy_uj"), "2000000\n"); // wrapped: 1e6 to the top, then 2e6
            Files.writeString(b.resolve("energy_uj"), "7500000\n");
            assertEquals(3.0 + 2.5, rapl.joules(), 1e-9);
            Files.writeString(a.resolve("energy_uj"), "4000000\n");
            assertEquals(7.5, rapl.joules(), 1e-9);
            assertEquals(EnergyCounter.Scope.HOST, rapl.scope());
            assertEquals(10.0, rapl.idleJoules(99, 2, 5), 1e-12, "a counter's idle share is baseline x seconds");
        }
    }

    @Test
    void aCorruptCounterIsNamedWithoutItsContents(@TempDir Path powercap) throws IOException {
        Path a = zone(powercap, "intel-rapl:0", 1, 1000);
        Files.writeString(a.resolve("energy_uj"), "secret-text\n");
        IOException e = assertThrows(IOException.class, () -> RaplCounter.open(powercap, false));
        assertTrue(e.getMessage().contains("energy_uj") && !e.getMessage().contains("secret"), e.getMessage());
    }

    @Test
    void withoutRaplOrAGpuTheEstimateIsChosenAndSaysWhy(@TempDir Path dir) throws IOException {
        EnergyCounters counters = new EnergyCounters("auto", dir.resolve("no-powercap"), PowerModel.CCF_AWS);
        EnergyCounters.Selection cpu = counters.select(-1);
        assertInstanceOf(ProcessCpuEstimate.class, cpu.counter());
        assertTrue(cpu.why().contains("rapl: no RAPL package zone"), cpu.why());
        assertTrue(cpu.why().contains("Cloud Carbon Footprint"), cpu.why());

        EnergyCounters.Selection gpu = counters.select(0);
        assertInstanceOf(ProcessCpuEstimate.class, gpu.counter());
        assertTrue(gpu.why().startsWith("nvml: NVML is not available"), gpu.why());
    }

    @Test
    void aSourceInsistedOnMustBeReadable(@TempDir Path dir) throws IOException {
        assertThrows(IOException.class, () -> new EnergyCounters("rapl", dir, null).select(-1));
        assertThrows(IOException.class, () -> new EnergyCounters("nvml", dir, null).select(-1));
        zone(dir, "intel-rapl:0", 1, 1000);
        assertInstanceOf(RaplCounter.class, new EnergyCounters("auto", dir, null).select(-1).counter());
        assertInstanceOf(ProcessCpuEstimate.class, new EnergyCounters("estimate", dir, null).select(-1).counter());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EnergyCounters("smi", dir, null));
        assertTrue(e.getMessage().contains("auto|nvml|rapl|estimate"), e.getMessage());
    }

    @Test
    void theEstimateChargesTheProcessCpuTimeAtFullWattsAndItsIdleShare() {
        AtomicLong cpu = new AtomicLong(5_000_000_000L);
        ProcessCpuEstimate estimate = new ProcessCpuEstimate(new PowerModel(1, 4, "test"), cpu::get);
        assertEquals(0, estimate.joules(), 1e-12);
        cpu.addAndGet(2_500_000_000L);
        assertEquals(10.0, estimate.joules(), 1e-9, "2.5 CPU-seconds x 4 W");
        assertEquals(2.5, estimate.idleJoules(10, 99, 1234), 1e-12, "a quarter (1 W of 4) is the idle share");
        assertEquals(EnergyCounter.Scope.PROCESS, estimate.scope());
    }

    @Test
    void thisProcessesCpuClockAdvancesWithWork() {
        ProcessCpuEstimate estimate = new ProcessCpuEstimate(PowerModel.CCF_AWS);
        // spin until this thread has had 0.2 s of CPU (not of wall time: on a busy machine that may be far less)
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long until = threads.getCurrentThreadCpuTime() + 200_000_000L;
        double sink = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 10_000; i++) {
                sink += Math.sqrt(sink + 1);
            }
        }
        assertTrue(sink > 0);
        assertTrue(estimate.cpuSeconds() > 0.15, "CPU seconds " + estimate.cpuSeconds());
    }

    @Test
    void theProcessClockResolvesMicroseconds() {
        assertTrue(ProcessCpuClock.fineGrained(), "libc's CLOCK_PROCESS_CPUTIME_ID is reachable on Linux");
        // The clock counts every thread of the process, so one step can include a JIT or GC thread's slice (a CI
        // run saw 1.26 ms between two readings); its resolution is the smallest step among many.
        long smallestStepNanos = Long.MAX_VALUE;
        long previous = ProcessCpuClock.nanos();
        for (int steps = 0; steps < 200; ) {
            long next = ProcessCpuClock.nanos();
            if (next != previous) {
                smallestStepNanos = Math.min(smallestStepNanos, next - previous);
                previous = next;
                steps++;
            }
        }
        assertTrue(smallestStepNanos < 1_000_000,
                "the smallest of 200 steps is " + smallestStepNanos + " ns: coarser than a millisecond");
    }

    @Test
    void powerModelsRefuseImpossibleCoefficients() {
        assertThrows(IllegalArgumentException.class, () -> new PowerModel(3, 2, "x"));
        assertThrows(IllegalArgumentException.class, () -> new PowerModel(-1, 2, "x"));
        assertEquals(PowerModel.CCF_AWS, PowerModel.configured(0.74, 3.5));
    }

    /** NVML's calls as a driver answers them, without a GPU. */
    static final class FakeNvml implements NvmlCounter.Nvml {
        long milliJoules = 1_000_000;
        int energyResult = 0;
        int initialized;

        @Override
        public int nvmlInit_v2() {
            initialized++;
            return 0;
        }

        @Override
        public int nvmlShutdown() {
            initialized--;
            return 0;
        }

        @Override
        public int nvmlDeviceGetCount_v2(com.sun.jna.ptr.IntByReference count) {
            count.setValue(1);
            return 0;
        }

        @Override
        public int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device) {
            if (index != 0) {
                return 2; // NVML_ERROR_INVALID_ARGUMENT
            }
            device.setValue(new Pointer(42));
            return 0;
        }

        @Override
        public int nvmlDeviceGetTotalEnergyConsumption(Pointer device, LongByReference energy) {
            energy.setValue(milliJoules);
            return energyResult;
        }

        @Override
        public int nvmlDeviceGetName(Pointer device, byte[] name, int length) {
            byte[] text = "NVIDIA H200".getBytes();
            System.arraycopy(text, 0, name, 0, text.length);
            return 0;
        }

        @Override
        public String nvmlErrorString(int result) {
            return result == 3 ? "Not Supported" : "Invalid Argument";
        }
    }

    @Test
    void nvmlCountsMillijoulesSinceOpenedAndShutsDownOnce() throws IOException {
        FakeNvml nvml = new FakeNvml();
        NvmlCounter counter = NvmlCounter.open(nvml, 0);
        nvml.milliJoules += 2_500;
        assertEquals(2.5, counter.joules(), 1e-12);
        assertEquals("gpu0", counter.device());
        assertTrue(counter.basis().contains("NVIDIA H200"), counter.basis());
        counter.close();
        counter.close();
        assertEquals(0, nvml.initialized);
    }

    @Test
    void nvmlCountsTheGpusAndReleasesTheLibrary() throws IOException {
        FakeNvml nvml = new FakeNvml();
        assertEquals(1, NvmlCounter.deviceCount(nvml));
        assertEquals(0, nvml.initialized);
    }

    @Test
    void nvmlFailuresAreOneLineAndReleaseTheLibrary() {
        FakeNvml nvml = new FakeNvml();
        IOException wrongGpu = assertThrows(IOException.class, () -> NvmlCounter.open(nvml, 3));
        assertTrue(wrongGpu.getMessage().contains("Invalid Argument"), wrongGpu.getMessage());
        nvml.energyResult = 3;
        IOException old = assertThrows(IOException.class, () -> NvmlCounter.open(nvml, 0));
        assertTrue(old.getMessage().contains("Volta") && old.getMessage().contains("Not Supported"), old.getMessage());
        assertEquals(0, nvml.initialized);
    }
}
