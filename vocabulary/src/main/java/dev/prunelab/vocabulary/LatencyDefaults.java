package dev.prunelab.vocabulary;

/**
 * The latency benchmark's settings when a request or a flag leaves them out: {@code ./lab eval --latency}, the
 * evaluator's requests and the docs read these.
 */
public final class LatencyDefaults {

    /** P prompt tokens prefilled. */
    public static final int PROMPT_TOKENS = 128;
    /** N tokens generated per sequence. */
    public static final int NEW_TOKENS = 64;
    /** The batch size of a request without one. */
    public static final int BATCH = 1;
    /** Recorded runs per batch size. */
    public static final int REPEATS = 5;
    /** Unrecorded warm-up runs per batch size. */
    public static final int WARMUPS = 1;
    /** The seed of the benchmark's random prompt tokens. */
    public static final long SEED = 1234;

    private LatencyDefaults() {
    }
}
