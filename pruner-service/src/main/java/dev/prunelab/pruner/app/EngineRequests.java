package dev.prunelab.pruner.app;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.StructuredSpec;
import dev.prunelab.pruning.calibration.Calibration;
import dev.prunelab.pruning.job.PruneJob;
import dev.prunelab.pruning.prune.SparsityPattern;
import dev.prunelab.pruning.quantize.LinearQuantization;
import dev.prunelab.pruning.structured.StructuredRequest;
import dev.prunelab.pruning.unstructured.PruneRequest;
import dev.prunelab.vocabulary.NmPattern;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one mapping from a run request's wire spec to the pruning engine's request. The spec was validated by the
 * vocabulary's rules when it was decoded; this only translates.
 */
final class EngineRequests {

    private EngineRequests() {
    }

    /** An unstructured or N:M prune; the pruned weights are not kept and the export is not compressed. */
    static PruneRequest unstructured(PruneSpec spec, Calibration calibration, int threads) {
        SparsityPattern pattern = spec.sparsity() != null ? new SparsityPattern.Unstructured(spec.sparsity())
                : SparsityPattern.of(NmPattern.parse(NmPattern.FIELD, spec.pattern()));
        return new PruneRequest(PruneRequest.method(spec.method()), pattern, spec.layerSparsity(), calibration,
                spec.dtype(), threads, false, spec.refinement(), quantization(spec), null, spec.weightBudget());
    }

    /** A structured prune. */
    static StructuredRequest structured(PruneSpec spec, Calibration calibration, int threads) {
        StructuredSpec structured = spec.structured();
        return new StructuredRequest(structured.target(), structured.ratio(), structured.score(),
                structured.allocation(), structured.biasCompensation(), calibration, spec.dtype(), threads,
                quantization(spec));
    }

    /** The request's calibration, each absent field taking the engine's default (the CLI's). */
    static Calibration calibration(CalibrationSpec spec, Optional<Path> text) {
        return spec == null ? PruneJob.calibration(text.orElse(null), null, null, null)
                : PruneJob.calibration(text.orElse(null), spec.samples(), spec.window(), spec.seed());
    }

    private static LinearQuantization quantization(PruneSpec spec) {
        return LinearQuantization.of(spec.weightBits(), spec.weightBlock(), spec.weightQuantizer());
    }
}
