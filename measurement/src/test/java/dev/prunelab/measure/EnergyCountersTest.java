package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
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

    /** An NVML opener as a host without an NVIDIA driver answers. */
    private static final EnergyCounters.NvmlOpener NO_NVML = gpu -> {
        throw new IOException("NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here)");
    };

    /** One GPU, no CUDA_VISIBLE_DEVICES: CUDA device 0 is NVML's only board. */
    private static final GpuDevice GPU_0 = GpuDevice.of(0, Map.of());

    /** A clock that moves 1 ms at every read: a period measurement over a counter that never changes ends at once. */
    private static LongSupplier millisecondPerRead() {
        AtomicLong now = new AtomicLong();
        return () -> now.addAndGet(1_000_000);
    }

    @Test
    void withoutRaplTheEstimateIsChosenForCpuWorkAndSaysWhy(@TempDir Path dir) throws IOException {
        EnergyCounters counters = new EnergyCounters("auto", dir.resolve("no-powercap"), PowerModel.CCF_AWS)
                .withNvml(NO_NVML);
        EnergyCounters.Selection cpu = counters.select((GpuDevice) null);
        try (EnergyCounter counter = cpu.counter()) {
            assertInstanceOf(ProcessCpuEstimate.class, counter);
            assertEquals(2, cpu.reasons().size(), cpu.why());
            assertTrue(cpu.why().startsWith("rapl: no RAPL package zone"), cpu.why());
            assertTrue(cpu.why().contains("Cloud Carbon Footprint"), cpu.why());
        }
        assertEquals(cpu.reasons(), counters.select(-1).reasons(), "-1 is CPU work");
    }

    @Test
    void gpuWorkWithoutNvmlHasNoEnergyCounterNeverTheCpuEstimate(@TempDir Path dir) throws IOException {
        Path powercap = dir.resolve("powercap");
        zone(powercap, "intel-rapl:0", 1, 1000);   // RAPL is readable, and still not used for GPU work
        EnergyCounters.Selection gpu = new EnergyCounters("auto", powercap, PowerModel.CCF_AWS).withNvml(NO_NVML)
                .select(GPU_0);
        assertFalse(gpu.available());
        assertNull(gpu.counter());
        assertEquals(List.of("nvml: NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here)",
                EnergyCounters.NO_GPU_COUNTER), gpu.reasons());
        assertFalse(gpu.why().contains("estimate:"), gpu.why());

        for (String cpuSource : List.of("rapl", "estimate")) {
            IOException e = assertThrows(IOException.class,
                    () -> new EnergyCounters(cpuSource, powercap, null).withNvml(NO_NVML).select(GPU_0));
            assertEquals("energy source " + cpuSource + " counts the CPU; this work runs on CUDA device 0: ask for "
                    + "nvml or auto", e.getMessage());
        }
        // a board that cannot be named (here: a hidden ordinal) is the same case: no GPU energy, with the reason
        GpuDevice hidden = GpuDevice.of(1, Map.of("CUDA_VISIBLE_DEVICES", "0"));
        EnergyCounters.Selection refused = new EnergyCounters("auto", powercap, null)
                .withNvml(g -> NvmlCounter.open(new FakeNvml(), g, millisecondPerRead())).select(hidden);
        assertFalse(refused.available());
        assertEquals("nvml: CUDA device 1 is not visible: CUDA_VISIBLE_DEVICES='0' makes 1 GPU(s) visible",
                refused.reasons().get(0));
    }

    @Test
    void gpuWorkIsMeteredByItsNvmlCounterWhenOneOpens(@TempDir Path dir) throws IOException {
        FakeNvml nvml = new FakeNvml();
        List<GpuDevice> opened = new ArrayList<>();
        EnergyCounters counters = new EnergyCounters("auto", dir.resolve("no-powercap"), PowerModel.CCF_AWS)
                .withNvml(gpu -> {
                    opened.add(gpu);
                    return NvmlCounter.open(nvml, gpu, millisecondPerRead());
                });
        EnergyCounters.Selection selection = counters.select(GPU_0);
        try (EnergyCounter counter = selection.counter()) {
            assertInstanceOf(NvmlCounter.class, counter);
            assertEquals(List.of("nvml: gpu0 (" + FakeNvml.UUID_0 + ") energy counter (" + GPU_0.mapping() + ")"),
                    selection.reasons());
            assertEquals("gpu0 (" + FakeNvml.UUID_0 + ")", counter.device());
            nvml.milliJoules += 1_500;
            assertEquals(1.5, counter.joules(), 1e-12);
        }
        assertEquals(0, nvml.initialized, "closing the chosen counter shuts NVML down");
        try (EnergyCounter insisted = new EnergyCounters("nvml", dir, null)
                .withNvml(gpu -> NvmlCounter.open(nvml, gpu, millisecondPerRead())).select(GPU_0).counter()) {
            assertInstanceOf(NvmlCounter.class, insisted);
        }
        assertEquals(List.of(GPU_0), opened, "CPU work never asks NVML");
        counters.select((GpuDevice) null).counter().close();
        assertEquals(List.of(GPU_0), opened, "CPU work never asks NVML");
        IOException missing = assertThrows(IOException.class,
                () -> new EnergyCounters("nvml", dir, null).withNvml(NO_NVML).select(GPU_0));
        assertTrue(missing.getMessage().startsWith("NVML is not available"), missing.getMessage());
        assertEquals(0, nvml.initialized);
    }

    @Test
    void theEstimateChargesTheCpuClockItIsGiven(@TempDir Path dir) throws IOException {
        AtomicLong cpu = new AtomicLong(7_000_000_000L);
        EnergyCounters counters = new EnergyCounters("estimate", dir, new PowerModel(1, 4, "test")).withCpuClock(cpu::get);
        try (EnergyCounter estimate = counters.select(-1).counter()) {
            cpu.addAndGet(500_000_000L);
            assertEquals(2.0, estimate.joules(), 1e-12, "0.5 CPU-seconds x 4 W");
        }
        assertEquals(new EnergyCounters("auto", RaplCounter.SYSFS, PowerModel.CCF_AWS), EnergyCounters.auto(),
                "the defaults are the same constants, whatever constructor");
    }

    @Test
    void aSourceInsistedOnMustBeReadable(@TempDir Path dir) throws IOException {
        assertThrows(IOException.class, () -> new EnergyCounters("rapl", dir, null).select(-1));
        assertThrows(IOException.class, () -> new EnergyCounters("nvml", dir, null).select((GpuDevice) null));
        zone(dir, "intel-rapl:0", 1, 1000);
        try (EnergyCounter rapl = new EnergyCounters("auto", dir, null).select(-1).counter();
             EnergyCounter estimate = new EnergyCounters("estimate", dir, null).select(-1).counter()) {
            assertInstanceOf(RaplCounter.class, rapl);
            assertInstanceOf(ProcessCpuEstimate.class, estimate);
        }
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
    @Timeout(120)
    void thisProcessesCpuClockAdvancesWithWork() {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled(),
                "this JVM cannot read a thread's CPU time, which the spin below counts");
        ProcessCpuEstimate estimate = new ProcessCpuEstimate(PowerModel.CCF_AWS);
        // spin until this thread has had 0.2 s of CPU (not of wall time: on a busy machine that may be far less)
        long until = threads.getCurrentThreadCpuTime() + 200_000_000L;
        double sink = 0;
        while (threads.getCurrentThreadCpuTime() < until) {
            for (int i = 0; i < 10_000; i++) {
                sink += Math.sqrt(sink + 1);
            }
        }
        assertTrue(sink > 0);
        // the process clock counts this thread's 0.2 s and more (other threads); 0.15 leaves a clock tick's slack
        // for the JVM bean's fallback
        assertTrue(estimate.cpuSeconds() > 0.15, "CPU seconds " + estimate.cpuSeconds());
    }

    /** libc's clock_gettime as a test sets it up: a fixed timespec, or a failure. */
    static final class FakeLibC implements ProcessCpuClock.LibC {
        final long seconds;
        final long nanos;
        final int result;
        final java.util.List<Integer> clocksAsked = new java.util.ArrayList<>();

        FakeLibC(long seconds, long nanos, int result) {
            this.seconds = seconds;
            this.nanos = nanos;
            this.result = result;
        }

        @Override
        public int clock_gettime(int clock, long[] timespec) {
            clocksAsked.add(clock);
            if (result == 0) {
                timespec[0] = seconds;
                timespec[1] = nanos;
            }
            return result;
        }
    }

    @Test
    void theProcessClockReadsLibcsTimespecAsNanoseconds() {
        FakeLibC libc = new FakeLibC(3, 250_000_001L, 0);
        assertEquals(3_250_000_001L, ProcessCpuClock.nanos(libc, () -> {
            throw new AssertionError("the JVM's coarse clock is not read while libc answers");
        }));
        assertEquals(java.util.List.of(ProcessCpuClock.CLOCK_PROCESS_CPUTIME_ID), libc.clocksAsked);
        assertEquals(2, ProcessCpuClock.CLOCK_PROCESS_CPUTIME_ID, "Linux's CLOCK_PROCESS_CPUTIME_ID");
        assertEquals(9_223_372_036_854_775_807L, ProcessCpuClock.timespecNanos(new long[] {9_223_372_036L, 854_775_807L}));
        assertSame(libc, ProcessCpuClock.usable(libc));
    }

    @Test
    void theProcessClockFallsBackToTheJvmsWhenLibcFails() {
        FakeLibC failing = new FakeLibC(99, 99, -1);
        assertEquals(40_000_000L, ProcessCpuClock.nanos(failing, () -> 40_000_000L));
        assertEquals(40_000_000L, ProcessCpuClock.nanos(null, () -> 40_000_000L), "no libc at all (not Linux)");
        assertNull(ProcessCpuClock.usable(failing), "a libc whose clock fails is not used");
        assertNull(ProcessCpuClock.usable((clock, timespec) -> {
            throw new IllegalStateException("JNA: clock_gettime not found");
        }));
        IllegalStateException neither = assertThrows(IllegalStateException.class,
                () -> ProcessCpuClock.nanos(failing, () -> -1));
        assertTrue(neither.getMessage().contains("cannot read its process CPU time"), neither.getMessage());
    }

    @Test
    void powerModelsRefuseImpossibleCoefficients() {
        assertThrows(IllegalArgumentException.class, () -> new PowerModel(3, 2, "x"));
        assertThrows(IllegalArgumentException.class, () -> new PowerModel(-1, 2, "x"));
        assertEquals(PowerModel.CCF_AWS, PowerModel.configured(0.74, 3.5));
    }

    @Test
    void nvmlCountsMillijoulesSinceOpenedAndShutsDownOnce() throws IOException {
        FakeNvml nvml = new FakeNvml();
        NvmlCounter counter = NvmlCounter.open(nvml, 0);
        nvml.milliJoules += 2_500;
        assertEquals(2.5, counter.joules(), 1e-12);
        assertEquals("gpu0 (" + FakeNvml.UUID_0 + ")", counter.device());
        assertTrue(counter.basis().contains("NVIDIA H200"), counter.basis());
        assertNull(counter.updatePeriod(), "opened by NVML index, for sampling: no period measured");
        assertEquals(0, counter.updatePeriodSeconds());
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
