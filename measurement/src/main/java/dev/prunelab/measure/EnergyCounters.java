package dev.prunelab.measure;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Chooses the energy counter for the work a process measures, most trusted first, and says why each better
 * one was not taken: for work on a GPU its board's NVML counter, or none (RAPL and the estimate count the CPU, so
 * GPU work without NVML has no energy figure rather than a CPU one); for work on the CPU the RAPL package counters,
 * else the labelled CPU-time estimate.
 *
 * @param source    "auto" (the order above), or one of "nvml", "rapl", "estimate" to insist on it
 * @param powercap  normally {@link RaplCounter#SYSFS}
 * @param model     the estimate's per-core watts
 * @param nvml      how a GPU's counter is opened: normally {@link NvmlOpener#SYSTEM} (the system's libnvidia-ml)
 * @param cpuNanos  the estimate's process CPU clock in nanoseconds: normally {@link ProcessCpuClock#nanos()}
 */
public record EnergyCounters(String source, Path powercap, PowerModel model, NvmlOpener nvml, LongSupplier cpuNanos) {

    public static final List<String> SOURCES = List.of("auto", "nvml", "rapl", "estimate");

    /** One instance, so that two default selections compare equal. */
    private static final LongSupplier PROCESS_CPU_NANOS = ProcessCpuEstimate::processCpuNanos;

    /**
     * Opens the energy counter of the board behind {@code gpu}, or fails with one line saying why (no driver, a board
     * that cannot be named from the CUDA ordinal, a GPU too old for the total-energy counter). A seam: what a host
     * has is never asked by a test.
     */
    @FunctionalInterface
    public interface NvmlOpener {
        NvmlOpener SYSTEM = NvmlCounter::open;

        EnergyCounter open(GpuDevice gpu) throws IOException;
    }

    public EnergyCounters {
        source = source == null ? "auto" : source.toLowerCase(Locale.ROOT);
        if (!SOURCES.contains(source)) {
            throw new IllegalArgumentException("energy source '" + source + "' is unknown (expected "
                    + String.join("|", SOURCES) + ")");
        }
        if (powercap == null) {
            powercap = RaplCounter.SYSFS;
        }
        if (model == null) {
            model = PowerModel.CCF_AWS;
        }
        if (nvml == null) {
            nvml = NvmlOpener.SYSTEM;
        }
        if (cpuNanos == null) {
            cpuNanos = PROCESS_CPU_NANOS;
        }
    }

    /** The system's NVML and this process's CPU clock. */
    public EnergyCounters(String source, Path powercap, PowerModel model) {
        this(source, powercap, model, NvmlOpener.SYSTEM, PROCESS_CPU_NANOS);
    }

    public static EnergyCounters auto() {
        return new EnergyCounters("auto", RaplCounter.SYSFS, PowerModel.CCF_AWS);
    }

    /** The same choice with GPUs' counters opened by {@code nvml}. */
    public EnergyCounters withNvml(NvmlOpener nvml) {
        return new EnergyCounters(source, powercap, model, nvml, cpuNanos);
    }

    /** The same choice with the estimate charging the CPU time {@code cpuNanos} reads (non-decreasing nanoseconds). */
    public EnergyCounters withCpuClock(LongSupplier cpuNanos) {
        return new EnergyCounters(source, powercap, model, nvml, cpuNanos);
    }

    /**
     * The counter chosen and one line per source considered; the counter is null when GPU work has no GPU energy
     * counter ({@link #NO_GPU_COUNTER} and why, in the reasons).
     */
    public record Selection(EnergyCounter counter, List<String> reasons) {
        public Selection {
            reasons = List.copyOf(reasons);
        }

        /** Whether a counter was chosen. */
        public boolean available() {
            return counter != null;
        }

        /** The reasons on one line, for a report. */
        public String why() {
            return String.join("; ", reasons);
        }
    }

    /** The last reason of a selection for GPU work that found no counter. */
    public static final String NO_GPU_COUNTER = "no GPU energy counter: RAPL and the CPU-time estimate count the "
            + "CPU, not the GPU this work runs on, so no energy is reported for it";

    /**
     * @param gpuIndex -1 for work on the CPU; else the CUDA ordinal of the work's GPU under this process's
     *                 environment ({@link GpuDevice#of(int)})
     * @throws IOException when a source was insisted on and cannot be read
     */
    public Selection select(int gpuIndex) throws IOException {
        return select(gpuIndex < 0 ? null : GpuDevice.of(gpuIndex));
    }

    /**
     * @param gpu the GPU the work runs on, or null for work on the CPU
     * @throws IOException when a source was insisted on and cannot be read, or cannot count this work (RAPL or the
     *                     estimate for GPU work, NVML for CPU work)
     */
    public Selection select(GpuDevice gpu) throws IOException {
        List<String> reasons = new ArrayList<>();
        if (gpu != null) {
            if (!source.equals("auto") && !source.equals("nvml")) {
                throw new IOException("energy source " + source + " counts the CPU; this work runs on CUDA device "
                        + gpu.cudaOrdinal() + ": ask for nvml or auto");
            }
            try {
                EnergyCounter counter = nvml.open(gpu);
                reasons.add("nvml: " + counter.device() + " energy counter (" + gpu.mapping() + ")");
                return new Selection(counter, reasons);
            } catch (IOException e) {
                if (source.equals("nvml")) {
                    throw e;
                }
                reasons.add("nvml: " + e.getMessage());
                reasons.add(NO_GPU_COUNTER);
                return new Selection(null, reasons);
            }
        }
        if (source.equals("nvml")) {
            throw new IOException("energy source nvml needs work on a GPU; this work runs on the CPU");
        }
        if (source.equals("auto") || source.equals("rapl")) {
            try {
                RaplCounter rapl = RaplCounter.open(powercap);
                reasons.add("rapl: package counters readable");
                return new Selection(rapl, reasons);
            } catch (IOException e) {
                if (source.equals("rapl")) {
                    throw e;
                }
                reasons.add("rapl: " + e.getMessage());
            }
        }
        ProcessCpuEstimate estimate = new ProcessCpuEstimate(model, cpuNanos);
        reasons.add("estimate: " + estimate.basis());
        return new Selection(estimate, reasons);
    }
}
