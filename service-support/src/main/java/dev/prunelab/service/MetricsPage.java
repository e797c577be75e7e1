package dev.prunelab.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service's {@code /q/metrics} page in Prometheus' text format 0.0.4, as every service's test reads it to hold
 * each {@code prunelab_} family to a {@code # HELP} text (the check that {@code promtool check metrics} makes).
 */
public final class MetricsPage {
    private MetricsPage() {
    }

    /** Every {@code prunelab_} family on the page with its HELP text ("" when it has none). */
    public static Map<String, String> prunelabHelp(String page) {
        Map<String, String> help = new TreeMap<>();
        for (String line : page.split("\n")) {
            if (line.startsWith("# TYPE prunelab_")) {
                help.putIfAbsent(line.split(" ")[2], "");
            } else if (line.startsWith("# HELP prunelab_")) {
                String[] parts = line.split(" ", 4);
                help.put(parts[2], parts.length > 3 ? parts[3].strip() : "");
            }
        }
        return help;
    }

    /** The families of {@link #prunelabHelp} without HELP text. */
    public static List<String> withoutHelp(Map<String, String> help) {
        return help.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
    }

    /** Keeps the page as scraped, for {@code deploy/prometheus/check-metrics.sh file://.../target/scraped/metrics}. */
    public static void save(String page, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, page);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
