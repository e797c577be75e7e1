package dev.prunelab.energy;

import dev.prunelab.measure.NvmlCounter;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.measure.RaplCounter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Chooses what to sample on this machine and says why. CPU: the RAPL package counters when readable, else the
 * labelled utilisation estimate. GPU, in addition: every NVIDIA GPU's NVML energy counter.
 *
 * @param powercap normally {@link RaplCounter#SYSFS}
 * @param procStat normally {@link dev.prunelab.measure.HostCpu#PROC_STAT}
 * @param model    the estimate's per-core watts
 * @param cores    the estimate's core count
 * @param nvml     how to reach NVML; null = do not look for GPUs
 */
public record PowerSourceSelector(Path powercap, Path procStat, PowerModel model, int cores, Gpus nvml) {

    /** The machine's GPUs' counters; {@link #SYSTEM} asks the system's libnvidia-ml. */
    @FunctionalInterface
    public interface Gpus {
        Gpus SYSTEM = () -> {
            int count = NvmlCounter.deviceCount();
            List<NvmlCounter> counters = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                counters.add(NvmlCounter.open(i));
            }
            return counters;
        };

        List<NvmlCounter> open() throws IOException;
    }

    /** The sources chosen and one line per decision, for the service's log and health details. */
    public record Selection(List<PowerSource> sources, List<String> reasons) {
        public Selection {
            sources = List.copyOf(sources);
            reasons = List.copyOf(reasons);
        }
    }

    public Selection select() {
        List<PowerSource> sources = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        try {
            RaplCounter rapl = RaplCounter.open(powercap);
            sources.add(new CounterPowerSource(rapl));
            reasons.add("cpu: " + rapl.basis());
        } catch (IOException | SecurityException e) {
            CpuUtilisationEstimate estimate = new CpuUtilisationEstimate(procStat, model, cores);
            sources.add(estimate);
            reasons.add("cpu: estimate, because " + e.getMessage() + "; " + estimate.basis());
        }
        if (nvml != null) {
            try {
                List<NvmlCounter> gpus = nvml.open();
                gpus.forEach(gpu -> sources.add(new CounterPowerSource(gpu)));
                reasons.add("gpu: NVML energy counters of " + gpus.size() + " GPU(s)");
            } catch (IOException | RuntimeException e) {
                reasons.add("gpu: none sampled (" + e.getMessage() + ")");
            }
        }
        return new Selection(sources, reasons);
    }
}
