package dev.prunelab.gateway.cli;

import dev.prunelab.gateway.RunView;
import dev.prunelab.gateway.SweepView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** One line per change of a run's status, stage or progress (in whole percent), for polling output. */
final class ProgressLines {

    private final Map<String, String> last = new HashMap<>();

    List<String> update(SweepView sweep) {
        List<String> lines = new ArrayList<>();
        for (RunView run : sweep.runs()) {
            String line = line(run);
            if (!line.equals(last.put(run.runId(), line))) {
                lines.add(line);
            }
        }
        return lines;
    }

    static String line(RunView run) {
        StringBuilder line = new StringBuilder(run.runId()).append("  ").append(run.status().id());
        if (run.progress() != null && !run.status().isFinal()) {
            line.append("  ").append(run.progress().stage().id()).append(' ')
                    .append(String.format(Locale.ROOT, "%.0f%%", run.progress().fraction() * 100));
        }
        if (run.failure() != null) {
            line.append("  ").append(run.failure().stage().id()).append(": ").append(run.failure().reason());
        }
        return line.toString();
    }
}
