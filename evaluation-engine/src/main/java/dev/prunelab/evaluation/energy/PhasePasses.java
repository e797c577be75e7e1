package dev.prunelab.evaluation.energy;

import java.util.Locale;

/**
 * How many passes of each phase one recorded repeat runs between its counter reads, so that every energy window
 * spans at least {@link #WINDOW_PERIODS} update periods of the counter. NVML's counter moves every few tens of
 * milliseconds: a prefill of a few milliseconds read once would give 0 J or one whole step. A phase run k times
 * back to back is read once over the k passes, and its joules and seconds are divided by k: the figures stay per
 * token and per pass, their error from the counter's steps at most a quarter of a period in four.
 *
 * @param prefill passes of the prefill per repeat
 * @param decode  passes of the decode steps per repeat
 * @param note    one line for the measurement's selection: the period, the rule and what it did
 */
public record PhasePasses(int prefill, int decode, String note) {

    /** A window spans at least this many update periods. */
    public static final int WINDOW_PERIODS = 4;
    /** More passes than this per phase and repeat are refused: the phase is too short to measure on this counter. */
    public static final int MAX_PASSES = 1000;

    /** One pass of each: a counter that changes continuously at the scale of a phase. */
    public static final PhasePasses ONE = new PhasePasses(1, 1, null);

    public PhasePasses {
        if (prefill < 1 || decode < 1) {
            throw new IllegalArgumentException("passes must be positive, were " + prefill + " and " + decode);
        }
    }

    /**
     * The passes that make each phase's window at least {@link #WINDOW_PERIODS} periods long, from one pass's
     * seconds of each phase; or a refusal when a phase would need more than {@link #MAX_PASSES}.
     *
     * @throws Refused with one line saying which phase is too short and what would lengthen it
     */
    public static PhasePasses covering(double periodSeconds, double prefillSeconds, double decodeSeconds) {
        if (!(periodSeconds > 0)) {
            return ONE;
        }
        double window = WINDOW_PERIODS * periodSeconds;
        int prefill = passes("prefill", window, prefillSeconds, periodSeconds, "a longer prompt or a larger batch");
        int decode = passes("decode", window, decodeSeconds, periodSeconds, "more decode tokens or a larger batch");
        String rule = String.format(Locale.ROOT, "counter update period %.1f ms: each energy window spans at least %d "
                + "periods (%.0f ms)", periodSeconds * 1e3, WINDOW_PERIODS, window * 1e3);
        String done = prefill == 1 && decode == 1 ? "one pass of each phase already does"
                : String.format(Locale.ROOT, "prefill read over %d pass(es) per repeat (%.2f ms each), decode over %d "
                        + "(%.1f ms each); joules and seconds divided by the passes", prefill, prefillSeconds * 1e3,
                        decode, decodeSeconds * 1e3);
        return new PhasePasses(prefill, decode, rule + ": " + done);
    }

    /** The idle baseline's seconds: as asked, lengthened to the window rule where it is shorter (0 stays 0). */
    public static double baselineSeconds(double askedSeconds, double periodSeconds) {
        return askedSeconds > 0 ? Math.max(askedSeconds, WINDOW_PERIODS * periodSeconds) : askedSeconds;
    }

    private static int passes(String phase, double window, double passSeconds, double periodSeconds, String longer) {
        // less a hair, so that 0.2 / 0.001 (200.00000000000003 in doubles) is 200 passes, not 201
        double needed = passSeconds > 0 ? Math.ceil(window / passSeconds - 1e-9) : Double.POSITIVE_INFINITY;
        if (needed > MAX_PASSES) {
            throw new Refused(String.format(Locale.ROOT, "refused: the %s phase (%.3f ms a pass) would need more than "
                    + "%d passes per repeat to span %d update periods of the counter (%.1f ms each); measure %s",
                    phase, passSeconds * 1e3, MAX_PASSES, WINDOW_PERIODS, periodSeconds * 1e3, longer));
        }
        return Math.max(1, (int) needed);
    }

    /** A phase too short for the counter even over {@link #MAX_PASSES} passes; the message is one line. */
    public static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }
}
