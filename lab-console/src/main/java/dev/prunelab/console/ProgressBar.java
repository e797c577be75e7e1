package dev.prunelab.console;

import java.io.PrintStream;

/**
 * "label [#####.....] 12/40  ETA 0:31" on a terminal, redrawn in place; silent when output is not a
 * terminal (logs and CI stay clean).
 */
public final class ProgressBar {
    private final String label;
    private final int total;
    private final PrintStream out;
    private final boolean enabled;
    private final long startNanos = System.nanoTime();

    public ProgressBar(String label, int total) {
        // stdout: ./lab filters stderr line by line, which would hold back the carriage-return redraws
        this(label, total, System.out, System.console() != null);
    }

    public ProgressBar(String label, int total, PrintStream out, boolean enabled) {
        this.label = label;
        this.total = total;
        this.out = out;
        this.enabled = enabled;
    }

    public void update(int done) {
        if (!enabled) {
            return;
        }
        out.print("\r" + render(done, (System.nanoTime() - startNanos) / 1e9));
        if (done >= total) {
            out.println();
        }
        out.flush();
    }

    public String render(int done, double elapsedSeconds) {
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        String eta = done == 0 ? "?" : formatSeconds(elapsedSeconds / done * (total - done));
        return String.format("%s [%s%s] %d/%d  ETA %s ", label, "#".repeat(filled), ".".repeat(width - filled), done,
                total, eta);
    }

    static String formatSeconds(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format("%d:%02d", s / 60, s % 60);
    }
}
