package dev.prunelab.pruning.structured;

import dev.prunelab.measure.ProcessMemory;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.calibration.OwlScores;
import dev.prunelab.pruning.calibration.StageTimer;
import dev.prunelab.pruning.calibration.WindowSource;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.family.FamilyGraphs;
import dev.prunelab.pruning.family.ModelFamilies;
import dev.prunelab.pruning.family.Units;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.pruning.model.TensorSource;
import dev.prunelab.pruning.prune.InputStatistics;
import dev.prunelab.pruning.prune.OwlAllocation;
import dev.prunelab.pruning.run.ProgressListener;
import dev.prunelab.pruning.run.ReportedExport;
import dev.prunelab.pruning.run.Reports;
import dev.prunelab.pruning.search.LevelSearch;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntBiFunction;
import java.util.stream.IntStream;

/**
 * Structured pruning: removes MLP channels, attention heads or whole decoder blocks and exports the smaller
 * dense model (the exporter reads per-layer widths from the weight shapes).
 * <pre>
 * heads / MLP:  [global: dense pass, scores of every layer -> one ranking -> units to remove per layer]
 *               [owl: dense pass, outlier share of every layer -> a ratio per layer around the mean]
 *               windows --embedding--> X_0
 *               for each block l:  X_l --block l (earlier blocks already pruned)--> taps --statistics
 *                                  scores -> lowest units -> (FLAP: fold their mean into the output bias) -> cut
 *                                  X_l --pruned block l--> X_{l+1}
 * blocks:       X_l --block l--> X_{l+1};  influence_l = 1 - mean_t cos(X_l[t], X_{l+1}[t]);  drop the lowest
 * export(pruned tensors)  +  prune-report.json (parameters and FLOPs per token per layer, before and after)
 * </pre>
 * Pruned tensors are held in memory as float32 (about 4 bytes per kept parameter of the pruned layers).
 */
public final class StructuredPruner {
    /** Global allocation keeps at least this fraction of every layer's units (and at least one per KV group). */
    static final double GLOBAL_FLOOR = 0.1;
    /** Cached positions at which attention FLOPs are counted in the report. */
    static final int FLOPS_CONTEXT_TOKENS = 512;

    private StructuredPruner() {
    }

    public static StructuredReport prune(LoadedModel model, StructuredRequest request, WindowSource windowSource,
            Path out) {
        return prune(model, request, windowSource, out, ProgressListener.NONE);
    }

    /** {@link #prune(LoadedModel, StructuredRequest, WindowSource, Path)} telling {@code listener} each stage and
     * block. */
    public static StructuredReport prune(LoadedModel model, StructuredRequest request, WindowSource windowSource,
            Path out, ProgressListener listener) {
        long startNanos = System.nanoTime();
        DecoderConfig config = model.config();
        TensorSource weights = model.tensors();
        Map<String, Double> seconds = new LinkedHashMap<>();
        BlockCalibration calibration = new BlockCalibration(config, request.calibration(), request.threads(),
                new StageTimer(seconds));
        Plan plan = Plan.check(config, weights, request);   // every refusal happens here, before any work
        // the statistics' and the 4-bit quantizer's parallel loops run in a pool of the calibration's thread count
        return ThreadPolicy.inPool(calibration.threads(), () -> pruneWith(model, request, windowSource, out, listener,
                calibration, seconds, plan, startNanos));
    }

    private static StructuredReport pruneWith(LoadedModel model, StructuredRequest request, WindowSource windowSource,
            Path out, ProgressListener listener, BlockCalibration calibration, Map<String, Double> seconds, Plan plan,
            long startNanos) {
        DecoderConfig config = model.config();
        TensorSource weights = model.tensors();
        int contextTokens = Math.min(FLOPS_CONTEXT_TOKENS, config.contextLength());
        ModelCost before = ModelCost.of(config, weights, contextTokens,
                IntStream.range(0, config.numLayers()).toArray());

        List<int[]> windows = calibration.windows(windowSource, request.needsCalibration());
        LoadedModel pruned;
        List<Integer> dropped = new ArrayList<>();
        double[] layerScores = null;
        double[] owlRatios = null;   // each layer's ratio where OWL or the search set them
        LevelSearch.Result search = null;
        if (request.target() == StructuredTarget.BLOCKS) {
            listener.progress(RunStage.CALIBRATE, 0, 1);
            layerScores = BlockInfluence.of(config, weights, calibration, windows);
            listener.progress(RunStage.CALIBRATE, 1, 1);
            int[] order = Surgery.lowest(layerScores, 1, plan.blocksToDrop());
            Arrays.stream(order).forEach(dropped::add);
            int[] kept = IntStream.range(0, config.numLayers()).filter(l -> !dropped.contains(l)).toArray();
            pruned = rebuilt(model, config.keepingLayers(kept), new DroppedBlocks(config, weights, kept));
        } else {
            if (request.allocation() == StructuredAllocation.OWL) {
                listener.progress(RunStage.CALIBRATE, 0, config.numLayers());
                double[] outlierRatios = OwlScores.layerOutlierRatios(config, weights, calibration, windows,
                        done -> listener.progress(RunStage.CALIBRATE, done, config.numLayers()));
                owlRatios = OwlAllocation.allocate(outlierRatios, request.ratio(), OwlAllocation.DEFAULT_LAMBDA);
            } else if (request.allocation() == StructuredAllocation.SEARCH) {
                String method = "structured " + request.target().id() + " " + request.score().id();
                search = LevelSearch.search(config, weights, method, method + " bias compensation "
                        + request.biasCompensation(), request.ratio(), false, variant(config, weights, request),
                        calibration, windows, LevelSearch.Settings.defaults(request.calibration().seed()),
                        LevelSearch.directoryBeside(out), listener);
                owlRatios = search.allocation();
            }
            pruned = rebuilt(model, config, pruneUnits(config, weights, request, plan, windows, calibration, owlRatios,
                    out, listener));
        }
        ModelLoader.checkLayout(pruned.config(), pruned.tensors(), model.source());
        int[] sourceLayers = IntStream.range(0, config.numLayers())
                .filter(l -> !dropped.contains(l)).toArray();
        ModelCost after = ModelCost.of(pruned.config(), pruned.tensors(), contextTokens, sourceLayers);
        List<Integer> droppedLayers = request.target() == StructuredTarget.BLOCKS ? dropped : null;
        double[] scores = layerScores;
        double[] layerRatios = owlRatios;
        LevelSearch.Result found = search;
        try (TensorSource prunedTensors = pruned.tensors()) {
            StructuredReport report = ReportedExport.export(pruned, prunedTensors, out, request.dtype(), false, request.quantization(), seconds, startNanos,
                    listener, staging -> {
                        if (found != null) {
                            Reports.write(found, staging.resolve(LevelSearch.Result.FILE_NAME));
                        }
                        return new StructuredReport(StructuredReport.SCHEMA,
                            model.source().toAbsolutePath().toString(), ModelFamilies.of(config).id(), "structured",
                            request.target().id(), request.score().id(), request.allocation().id(), request.ratio(),
                            request.biasCompensation(), contextTokens, before.parameters(), after.parameters(),
                            1 - (double) after.parameters() / before.parameters(), before.flopsPerToken(),
                            after.flopsPerToken(), 1 - (double) after.flopsPerToken() / before.flopsPerToken(),
                            droppedLayers, scores, layerRatios, before.layers(), after.layers(),
                            calibration.summary(request.calibration(), windows), modelBytes(staging), seconds,
                            calibration.threads(), ProcessMemory.peakRssBytes(), out.toAbsolutePath().toString());
                    });
            if (found != null) {
                LevelSearch.removeDirectory(LevelSearch.directoryBeside(out)); // the next prune here starts anew
            }
            return report;
        }
    }

    /**
     * A layer at one ratio for the search's database: the units its dense statistics score lowest removed (and FLAP's
     * bias compensation), as {@link #pruneLayers} removes them.
     */
    private static LevelSearch.BlockVariant variant(DecoderConfig config, TensorSource weights,
            StructuredRequest request) {
        return (layer, ratio, stats, file) -> {
            try (PrunedTensors pruned = new PrunedTensors(weights)) {
                removeUnits(config, weights, request, kinds(request), layer, stats,
                        (kind, units) -> Plan.perGroupBelowAll(ratio, units), pruned);
                pruned.write(file);
            }
        };
    }

    /**
     * Layer {@code layer}'s lowest-scoring units of each kind removed into {@code pruned}, {@code perGroup} of each
     * group (and FLAP's bias compensation), scored on {@code stats}.
     */
    private static void removeUnits(DecoderConfig config, TensorSource weights, StructuredRequest request,
            List<Units.Kind> kinds, int layer, Map<FamilyGraphs.Tap, InputStatistics> stats,
            ToIntBiFunction<Units.Kind, Units> perGroup, PrunedTensors pruned) {
        for (Units.Kind kind : kinds) {
            Units units = Plan.units(config, kind, weights, layer);
            double[] scores = Importance.scores(request.score(), units, weights, stats);
            int[] removed = Surgery.lowest(scores, units.groups(), perGroup.applyAsInt(kind, units));
            if (request.biasCompensation() && removed.length > 0) {
                Surgery.compensate(units, removed, stats.get(units.hiddenTap()).columnMeans(), pruned, pruned);
            }
            Surgery.remove(units, removed, pruned, pruned);
        }
    }

    /** The unit kinds the target removes: heads, MLP channels or both. */
    private static List<Units.Kind> kinds(StructuredRequest request) {
        List<Units.Kind> kinds = new ArrayList<>();
        if (request.target().heads()) {
            kinds.add(Units.Kind.HEADS);
        }
        if (request.target().mlp()) {
            kinds.add(Units.Kind.MLP);
        }
        return kinds;
    }

    private static LoadedModel rebuilt(LoadedModel model, DecoderConfig config, TensorSource tensors) {
        return model.withTensors(config, tensors);
    }

    private static long modelBytes(Path staging) {
        long bytes = 0;
        for (String file : new String[] {DecoderIo.MODEL_FILE, DecoderIo.EXTERNAL_DATA_FILE}) {
            try {
                bytes += Files.exists(staging.resolve(file)) ? Files.size(staging.resolve(file)) : 0;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return bytes;
    }

    /**
     * Heads and/or MLP channels, block by block, each block scored on the outputs of the blocks before it after
     * they were pruned.
     *
     * @param owlRatios each layer's ratio under OWL allocation, else null
     */
    private static PrunedTensors pruneUnits(DecoderConfig config, TensorSource weights, StructuredRequest request,
            Plan plan, List<int[]> windows, BlockCalibration calibration, double[] owlRatios, Path out,
            ProgressListener listener) {
        List<Units.Kind> kinds = kinds(request);
        Map<Units.Kind, int[]> removePerGroup = new EnumMap<>(plan.uniformPerGroup());
        if (request.allocation() == StructuredAllocation.GLOBAL) {
            Map<Units.Kind, List<double[]>> scores = new EnumMap<>(Units.Kind.class);
            listener.progress(RunStage.CALIBRATE, 0, config.numLayers());
            List<float[]> hidden = calibration.embed(weights, windows);
            for (int layer = 0; layer < config.numLayers(); layer++) {
                Map<FamilyGraphs.Tap, InputStatistics> stats = calibration.collect(weights, layer, hidden, false, true);
                for (Units.Kind kind : kinds) {
                    Units units = Plan.units(config, kind, weights, layer);
                    scores.computeIfAbsent(kind, k -> new ArrayList<>())
                            .add(Importance.scores(request.score(), units, weights, stats));
                }
                listener.progress(RunStage.CALIBRATE, layer + 1, config.numLayers());
            }
            for (Units.Kind kind : kinds) {
                removePerGroup.put(kind, plan.globalPerGroup(kind, weights, scores.get(kind)));
            }
        } else if (owlRatios != null) {
            for (Units.Kind kind : kinds) {
                removePerGroup.put(kind, plan.perGroupAt(kind, weights, owlRatios));
            }
        }
        PrunedTensors pruned = new PrunedTensors(weights);
        try {
            pruneLayers(config, weights, request, windows, calibration, removePerGroup, kinds, pruned, out, listener);
        } catch (RuntimeException | Error e) {
            pruned.close(); // its spill files
            throw e;
        }
        return pruned;
    }

    /** Each layer's units removed in turn, calibrated on the layers before it already pruned. */
    private static void pruneLayers(DecoderConfig config, TensorSource weights, StructuredRequest request,
            List<int[]> windows, BlockCalibration calibration, Map<Units.Kind, int[]> removePerGroup,
            List<Units.Kind> kinds, PrunedTensors pruned, Path out, ProgressListener listener) {
        listener.progress(RunStage.PRUNE, 0, config.numLayers());
        List<float[]> hidden = calibration.embed(weights, windows);
        for (int layer = 0; layer < config.numLayers(); layer++) {
            Map<FamilyGraphs.Tap, InputStatistics> stats = calibration.collect(pruned, layer, hidden, false, false);
            int current = layer;
            removeUnits(config, weights, request, kinds, layer, stats,
                    (kind, units) -> removePerGroup.get(kind)[current], pruned);
            if (layer + 1 < config.numLayers()) {
                calibration.forwardInPlace(pruned, layer, hidden);
            }
            // the block's pruned weights go to disk beside the output until the export reads them: one block on the
            // heap at a time, as the memory estimate counts
            pruned.spill(out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".structured-block-" + layer
                    + ".safetensors"));
            listener.progress(RunStage.PRUNE, layer + 1, config.numLayers());
        }
    }

    /** Units to remove per layer and group, checked before any work. */
    record Plan(DecoderConfig config, StructuredRequest request, int blocksToDrop,
            Map<Units.Kind, int[]> uniformPerGroup) {

        static Plan check(DecoderConfig config, TensorSource weights, StructuredRequest request) {
            double ratio = request.ratio();
            if (request.target() == StructuredTarget.BLOCKS) {
                int drop = (int) Math.round(ratio * config.numLayers());
                if (drop >= config.numLayers()) {
                    throw new InvalidSetting("ratio", ratio + " would drop all " + config.numLayers()
                            + " decoder blocks");
                }
                return new Plan(config, request, drop, Map.of());
            }
            // OWL moves a layer's ratio at most 2λ above the mean: refuse now what the worst layer could not take.
            double highest = switch (request.allocation()) {
                case OWL -> Math.min(ratio + 2 * OwlAllocation.DEFAULT_LAMBDA, OwlAllocation.MAX_LAYER_SPARSITY);
                case SEARCH -> LevelSearch.highestLevel(ratio);
                default -> ratio;
            };
            String allocationNote = highest > ratio ? " (" + (request.allocation() == StructuredAllocation.OWL
                    ? "OWL" : "the search") + " may raise a layer's ratio to " + highest + ")" : "";
            Plan plan = new Plan(config, request, 0, new EnumMap<>(Units.Kind.class));
            for (Units.Kind kind : Units.Kind.values()) {
                if (kind == Units.Kind.HEADS ? !request.target().heads() : !request.target().mlp()) {
                    continue;
                }
                int[] perGroup = new int[config.numLayers()];
                plan.uniformPerGroup().put(kind, perGroup);
                for (int layer = 0; layer < config.numLayers(); layer++) {
                    Units units = units(config, kind, weights, layer);
                    perGroup[layer] = perGroup(ratio, units);
                    if (perGroup(highest, units) >= units.groupSize()) {
                        throw new InvalidSetting("ratio", (kind == Units.Kind.MLP
                                ? ratio + " would remove all " + units.count() + " MLP channels of layer " + layer
                                : units.groups() > 1
                                ? ratio + " would remove all " + units.groupSize() + " query heads of each of the "
                                        + units.groups() + " key/value groups of layer " + layer
                                        + " (grouped-query attention removes the same number of query heads from "
                                        + "every group, at most " + (units.groupSize() - 1) + " of "
                                        + units.groupSize() + ")"
                                : ratio + " would remove all " + units.count() + " attention heads of layer " + layer)
                                + allocationNote);
                    }
                }
            }
            return plan;
        }

        static Units units(DecoderConfig config, Units.Kind kind, TensorSource weights, int layer) {
            return kind == Units.Kind.MLP ? Units.mlp(config, weights, layer) : Units.heads(config, weights, layer);
        }

        /** Units to remove per group of each layer at that layer's own ratio. */
        int[] perGroupAt(Units.Kind kind, TensorSource weights, double[] layerRatios) {
            int[] perGroup = new int[config.numLayers()];
            for (int layer = 0; layer < perGroup.length; layer++) {
                Units units = units(config, kind, weights, layer);
                perGroup[layer] = perGroupBelowAll(layerRatios[layer], units);
            }
            return perGroup;
        }

        /** A layer's own ratio of each group's units, at most all but one of them. */
        static int perGroupBelowAll(double ratio, Units units) {
            return Math.min(perGroup(ratio, units), units.groupSize() - 1);
        }

        /** The ratio of each group's units, rounded to the nearest whole unit. */
        static int perGroup(double ratio, Units units) {
            return (int) Math.round(ratio * units.groupSize());
        }

        /**
         * One ranking over all layers: scores are standardised per layer (FLAP's global allocation compares
         * z-scores, since raw scales differ from layer to layer), the lowest are removed until the ratio of all
         * units is reached, never taking a layer below {@link #GLOBAL_FLOOR} of its units (one per KV group).
         */
        int[] globalPerGroup(Units.Kind kind, TensorSource weights, List<double[]> scores) {
            record Ranked(int layer, double z) {
            }
            List<Ranked> all = new ArrayList<>();
            int[] capacity = new int[config.numLayers()];
            int[] groups = new int[config.numLayers()];
            long total = 0;
            for (int layer = 0; layer < config.numLayers(); layer++) {
                Units units = units(config, kind, weights, layer);
                double[] s = scores.get(layer);
                double mean = Arrays.stream(s).average().orElse(0);
                double std = Math.sqrt(Arrays.stream(s).map(v -> (v - mean) * (v - mean)).average().orElse(0));
                for (double v : s) {
                    all.add(new Ranked(layer, std > 0 ? (v - mean) / std : 0));
                }
                int floor = Math.max(1, (int) Math.ceil(GLOBAL_FLOOR * units.groupSize()));
                capacity[layer] = units.groups() * (units.groupSize() - floor);
                groups[layer] = units.groups();
                total += units.count();
            }
            all.sort((a, b) -> Double.compare(a.z(), b.z()));
            long target = Math.round(request.ratio() * total);
            int[] removed = new int[config.numLayers()];
            for (Ranked r : all) {
                if (target == 0) {
                    break;
                }
                if (removed[r.layer()] < capacity[r.layer()]) {
                    removed[r.layer()]++;
                    target--;
                }
            }
            int[] perGroup = new int[config.numLayers()];
            for (int layer = 0; layer < perGroup.length; layer++) {
                perGroup[layer] = (int) Math.round((double) removed[layer] / groups[layer]);
            }
            return perGroup;
        }
    }
}
