package dev.prunelab.gateway;

import dev.prunelab.events.EnergyMeasurement;
import dev.prunelab.events.EnergyUse;
import dev.prunelab.vocabulary.EnergySource;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A sweep's energy as CodeCarbon's {@code emissions.csv}: its columns in its order and units (duration s,
 * emissions kg CO2e, emissions_rate kg/s, power W, energy kWh, energy_consumed = (cpu + gpu + ram) x PUE), one row
 * per run with measured energy, so tools that read CodeCarbon's file read this one. A row covers what was measured
 * for the run: the pruner's window and the evaluator's energy stage (not the quality evaluation around it). The
 * region is not known, so the configured intensity stands in trailing columns of our own, with the sources:
 * {@code energy_source} is the row's, "estimate" when any part of its joules is the CPU-time estimate (else the one
 * counter, or both joined: "nvml+rapl"); {@code energy_stage_source} and {@code prune_energy_source} name each part's.
 */
public final class EmissionsCsv {

    public static final List<String> COLUMNS = List.of("timestamp", "project_name", "run_id", "experiment_id",
            "duration", "emissions", "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy",
            "gpu_energy", "ram_energy", "energy_consumed", "country_name", "country_iso_code", "region",
            "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version", "cpu_count", "cpu_model",
            "gpu_count", "gpu_model", "longitude", "latitude", "ram_total_size", "tracking_mode", "on_cloud", "pue",
            // ours, after CodeCarbon's
            "carbon_intensity_g_per_kwh", "energy_source", "prune_joules", "energy_stage_joules", "label",
            "energy_stage_source", "prune_energy_source");

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private EmissionsCsv() {
    }

    public static String of(List<RunView> runs, Carbon carbon) {
        StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (RunView run : runs) {
            EnergyMeasurement stage = run.energy();
            EnergyUse prune = run.pruneEnergy();
            if (stage == null && prune == null) {
                continue;
            }
            double stageJoules = stage == null ? 0 : stage.joules();
            double pruneJoules = prune == null ? 0 : prune.joules();
            double seconds = (stage == null ? 0 : stage.seconds()) + (prune == null ? 0 : prune.seconds());
            boolean gpu = stage != null && stage.source() == EnergySource.NVML;
            double gpuJoules = gpu ? stageJoules : 0;
            double cpuJoules = stageJoules + pruneJoules - gpuJoules;
            double kwhAtMachine = (cpuJoules + gpuJoules) / Carbon.JOULES_PER_KWH;
            double kg = carbon.grams(cpuJoules + gpuJoules) / 1000;
            Instant at = stage != null ? stage.end() : run.window() != null ? run.window().end() : null;
            String source = source(stage == null ? null : stage.source(), prune == null ? null : prune.source());
            List<String> row = new ArrayList<>();
            row.add(at == null ? "" : TIMESTAMP.format(at));
            row.add("prune-lab");
            row.add(run.runId());
            row.add(run.sweepId() == null ? "" : run.sweepId());
            row.add(number(seconds));
            row.add(number(kg));
            row.add(number(seconds > 0 ? kg / seconds : 0));
            row.add(number(seconds > 0 ? cpuJoules / seconds : 0));
            row.add(number(seconds > 0 ? gpuJoules / seconds : 0));
            row.add("0");
            row.add(number(cpuJoules / Carbon.JOULES_PER_KWH));
            row.add(number(gpuJoules / Carbon.JOULES_PER_KWH));
            row.add("0");
            row.add(number(kwhAtMachine * carbon.pue()));
            row.add("");                  // country_name
            row.add("");                  // country_iso_code
            row.add("");                  // region
            row.add("");                  // cloud_provider
            row.add("");                  // cloud_region
            row.add("");                  // os
            row.add("");                  // python_version
            row.add("");                  // codecarbon_version: not CodeCarbon
            row.add("");                  // cpu_count
            row.add("");                  // cpu_model
            row.add(gpu ? "1" : "0");
            row.add("");                  // gpu_model
            row.add("");                  // longitude
            row.add("");                  // latitude
            row.add("");                  // ram_total_size
            row.add(source.equals(EnergySource.ESTIMATE.id()) ? "process" : "machine");
            row.add("");                  // on_cloud
            row.add(number(carbon.pue()));
            row.add(number(carbon.intensityGramsPerKwh()));
            row.add(source);
            row.add(number(pruneJoules));
            row.add(number(stageJoules));
            row.add(quoted(run.label()));
            row.add(stage == null ? "" : stage.source().id());
            row.add(prune == null ? "" : prune.source().id());
            out.append(String.join(",", row)).append('\n');
        }
        return out.toString();
    }

    /**
     * The source of joules summed from the parts: "estimate" when any part is estimated (the sum is then an
     * estimate), else the one counter, or both joined in a fixed order.
     */
    public static String source(EnergySource stage, EnergySource prune) {
        if (stage == EnergySource.ESTIMATE || prune == EnergySource.ESTIMATE) {
            return EnergySource.ESTIMATE.id();
        }
        if (stage == null || prune == null || stage == prune) {
            return (stage != null ? stage : prune).id();
        }
        return stage.compareTo(prune) < 0 ? stage.id() + "+" + prune.id() : prune.id() + "+" + stage.id();
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.9g", value).replaceAll("\\.?0+(e|$)", "$1");
    }

    private static String quoted(String text) {
        return text == null ? "" : "\"" + text.replace("\"", "\"\"") + "\"";
    }
}
