package dev.prunelab.vocabulary;

/**
 * The energy stage's workload when a request or a flag leaves it out, sized for about 10 s of work on stories15M on
 * one core (20 repeats of about 0.6 s): {@code ./lab eval --energy}, {@code ./lab sweep}, the evaluator's requests
 * and the docs read these.
 */
public final class EnergyWorkloadDefaults {

    /** P prompt tokens per sequence. */
    public static final int PROMPT_TOKENS = 64;
    /** N decode steps after the prefill (P + N is capped by the model's context). */
    public static final int DECODE_TOKENS = 192;
    /** B sequences per repeat. */
    public static final int BATCH = 1;
    /** R recorded repeats. */
    public static final int REPEATS = 20;
    /** The fewest recorded repeats an interval can be drawn from. */
    public static final int MIN_REPEATS = 3;
    /** Unrecorded repeats first. */
    public static final int WARMUPS = 1;
    /** The idle baseline sampled right before the workload. */
    public static final double BASELINE_SECONDS = 2.0;
    /** The seed of the workload's random prompt tokens. */
    public static final long SEED = 1234;

    private EnergyWorkloadDefaults() {
    }
}
