package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonCreator;

/**
 * Where a run is, or where it failed, as run.progress and run.failed name it; each stage says which service owns
 * it (the gateway's status follows: a stage of the evaluator means "evaluating").
 */
public enum RunStage implements Word {
    /** The input could not be decoded or validated (a dead letter); any consuming service. */
    DECODE(Owner.ANY),
    /** A request refused before any work: a missing model, a path outside the roots, an artifact that fails its check. */
    VALIDATE(Owner.ANY),
    /** Skipped: its sweep was cancelled before it started. */
    CANCELLED(Owner.PRUNER),
    /** Calibration forward passes that precede pruning (OWL's dense pass, block influence, global ranking). */
    CALIBRATE(Owner.PRUNER),
    /** Pruning block by block, each block calibrated on the already pruned blocks before it. */
    PRUNE(Owner.PRUNER),
    /** Writing the ONNX graph, its weights and prune-report.json. */
    EXPORT(Owner.PRUNER),
    /** Committing to or reading from the artifact store. */
    STORE(Owner.PRUNER),
    /** The evaluation suite (perplexity, tasks, latency, energy). */
    EVALUATE(Owner.EVALUATOR);

    /** The service whose work a stage is. */
    public enum Owner {
        PRUNER, EVALUATOR, ANY
    }

    private final Owner owner;

    RunStage(Owner owner) {
        this.owner = owner;
    }

    public Owner owner() {
        return owner;
    }

    @JsonCreator
    public static RunStage of(String id) {
        return Word.of(RunStage.class, "", "stage", id);
    }
}
