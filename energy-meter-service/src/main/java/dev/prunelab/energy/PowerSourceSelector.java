package dev.prunelab.energy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Chooses what to sample on this machine and says why. CPU: every readable RAPL package zone, else the
 * utilisation × TDP estimate. GPU, in addition: one nvidia-smi source per GPU that reports power.draw.
 *
 * @param powercap  normally {@link RaplPowerSource#SYSFS}
 * @param procStat  normally {@link CpuUtilisationEstimate#PROC_STAT}
 * @param tdpWatts  the CPU's TDP for the estimate
 * @param nvidiaSmi how to run nvidia-smi; null = do not look for GPUs
 */
public record PowerSourceSelector(Path powercap, Path procStat, double tdpWatts,
                                  NvidiaSmiPowerSource.CommandRunner nvidiaSmi) {

    /** The sources chosen and one line per decision, for the service's log and health details. */
    public record Selection(List<PowerSource> sources, List<String> reasons) {
        public Selection {
            sources = List.copyOf(sources);
            reasons = List.copyOf(reasons);
        }
    }

    public static PowerSourceSelector forThisMachine(double tdpWatts) {
        return new PowerSourceSelector(RaplPowerSource.SYSFS, CpuUtilisationEstimate.PROC_STAT, tdpWatts,
                NvidiaSmiPowerSource::runProcess);
    }

    public Selection select() {
        List<PowerSource> sources = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        String raplProblem = null;
        List<PowerSource> rapl = new ArrayList<>();
        try {
            List<Path> zones = RaplPowerSource.packageZones(powercap);
            if (zones.isEmpty()) {
                raplProblem = "no RAPL package zone under " + powercap;
            }
            for (Path zone : zones) {
                rapl.add(new RaplPowerSource(zone));
            }
        } catch (IOException | SecurityException e) {
            raplProblem = "RAPL is not readable (" + e + "); energy_uj is root-only since Linux 5.10";
            rapl.clear();
        }
        if (raplProblem == null) {
            sources.addAll(rapl);
            reasons.add("cpu: RAPL, " + rapl.size() + " package zone(s) readable under " + powercap);
        } else {
            CpuUtilisationEstimate estimate = new CpuUtilisationEstimate(procStat, tdpWatts);
            sources.add(estimate);
            reasons.add("cpu: estimate, because " + raplProblem + "; " + estimate.basis());
        }
        if (nvidiaSmi != null) {
            try {
                List<OptionalDouble> gpus = NvidiaSmiPowerSource.parse(nvidiaSmi.run(NvidiaSmiPowerSource.command(-1)));
                int reporting = 0;
                for (int i = 0; i < gpus.size(); i++) {
                    if (gpus.get(i).isPresent()) {
                        sources.add(new NvidiaSmiPowerSource(nvidiaSmi, i));
                        reporting++;
                    }
                }
                reasons.add("gpu: nvidia-smi lists " + gpus.size() + " GPU(s), " + reporting + " report power.draw");
            } catch (IOException | RuntimeException e) {
                reasons.add("gpu: none sampled, nvidia-smi failed (" + e.getMessage() + ")");
            }
        }
        return new Selection(sources, reasons);
    }
}
