package dev.prunelab.vocabulary;

/**
 * The calibration a prune draws when a request or a flag leaves it out: {@code ./lab prune}, the pruner service and
 * the docs read these.
 */
public final class CalibrationDefaults {

    /** The shipped TinyStories calibration text, relative to the shared data folder. */
    public static final String TEXT = "text/tinystories/calibration.txt";
    /** Windows drawn. */
    public static final int SAMPLES = 128;
    /** Tokens per window; 0 = the model's context length, capped at 2048. */
    public static final int WINDOW = 0;
    /** The random offsets' seed. */
    public static final long SEED = 0;

    private CalibrationDefaults() {
    }
}
