package dev.prunelab.pruner.pipeline;

/**
 * Hears how far a prune has got: each stage's start ({@code done} 0) and every decoder block it finishes. The
 * CLI draws a progress bar; the pruner service publishes {@code run.progress} events.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Calibration forward passes that precede pruning (OWL's dense pass, block influence). */
    String CALIBRATE = "calibrate";
    /** Pruning block by block (each block calibrated on the already pruned blocks before it). */
    String PRUNE = "prune";
    /** Writing the ONNX graph, its weights and prune-report.json. */
    String EXPORT = "export";

    ProgressListener NONE = (stage, done, total) -> { };

    /** @param done units of {@code stage} finished so far, 0 at its start; {@code total} at its end */
    void progress(String stage, int done, int total);
}
