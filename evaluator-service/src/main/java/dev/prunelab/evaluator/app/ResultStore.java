package dev.prunelab.evaluator.app;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The evaluator's memory of finished runs, in the artifact store: {@code evaluations/<runId>.json} holds the
 * published model.evaluated event, {@code evaluations/reports/<runId>.json} the full result document and
 * {@code evaluations/reports/<runId>.lm-eval.json} its zero-shot results in lm-evaluation-harness's layout. Files are
 * written under a temporary name and renamed, so a reader (or a restarted evaluator) never sees half a file.
 */
public final class ResultStore {

    static final String TEMP_PREFIX = ".tmp-";

    private final Path events;
    private final Path reports;

    public ResultStore(Path storeRoot) throws IOException {
        this.events = Files.createDirectories(storeRoot.resolve("evaluations"));
        this.reports = Files.createDirectories(events.resolve("reports"));
    }

    /** The stored event JSON of a run, if it was evaluated before. */
    public Optional<String> event(String runId) throws IOException {
        Path file = events.resolve(runId + ".json");
        return Files.isRegularFile(file) ? Optional.of(Files.readString(file, StandardCharsets.UTF_8)) : Optional.empty();
    }

    public Path writeEvent(String runId, String json) throws IOException {
        return write(events, runId, json);
    }

    public Path writeReport(String runId, String json) throws IOException {
        return write(reports, runId, json);
    }

    public Path writeLmEval(String runId, String json) throws IOException {
        return write(reports, runId + ".lm-eval", json);
    }

    /**
     * Deletes temporary files of writers that died mid-write, those older than {@code age}: another evaluator
     * sharing the store may be writing one right now (a write takes milliseconds). Returns how many.
     */
    public int removeAbandoned(Duration age) throws IOException {
        int removed = 0;
        Instant before = Instant.now().minus(age);
        for (Path dir : new Path[] {events, reports}) {
            try (DirectoryStream<Path> tmp = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
                for (Path p : tmp) {
                    try {
                        if (Files.getLastModifiedTime(p).toInstant().isBefore(before) && Files.deleteIfExists(p)) {
                            removed++;
                        }
                    } catch (NoSuchFileException raced) {
                        // renamed into place (or removed) meanwhile
                    }
                }
            }
        }
        return removed;
    }

    private static Path write(Path dir, String runId, String json) throws IOException {
        Path target = dir.resolve(runId + ".json");
        Path tmp = dir.resolve(TEMP_PREFIX + runId + "-" + UUID.randomUUID() + ".json");
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }
}
