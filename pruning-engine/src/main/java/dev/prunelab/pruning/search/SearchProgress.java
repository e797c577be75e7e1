package dev.prunelab.pruning.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * What a layer search has done, kept in its directory ({@value #FILE}) so that a search interrupted there resumes:
 * which database the directory holds (a fingerprint of the model, the windows, the target, the ladder and the
 * method) and which search ran over it (its settings), and the generations finished so far. A directory whose
 * database is another's is emptied of the search's files before any is written; finished generations under other
 * settings are dropped, the database kept.
 */
final class SearchProgress {
    static final String FILE = "search-state.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The generations finished: {@code parents.get(g)} is the parent generation g started from (one more entry than
     * generations finished: the last is the parent now), the parent's divergence after each, the uniform divergence,
     * and every candidate scored so far (key: levels and windows).
     */
    record Generations(List<int[]> parents, double[] trace, double uniformDivergence, int evaluations,
            Map<String, Double> scored) {
    }

    /** The file's content. */
    record State(String database, String search, Generations generations) {
    }

    private final Path directory;
    private final String database;
    private final String search;
    private Generations generations;

    private SearchProgress(Path directory, String database, String search, Generations generations) {
        this.directory = directory;
        this.database = database;
        this.search = search;
        this.generations = generations;
    }

    /**
     * The progress in {@code directory} (created when missing) for this database and search: what was done there
     * under the same fingerprints, else nothing, with the files of another database removed.
     */
    static SearchProgress open(Path directory, String database, String search) {
        try {
            Files.createDirectories(directory);
            State state = read(directory.resolve(FILE));
            if (state == null || !database.equals(state.database())) {
                removeSearchFiles(directory);
                state = null;
            }
            Generations generations = state != null && search.equals(state.search()) ? state.generations() : null;
            SearchProgress progress = new SearchProgress(directory, database, search, generations);
            progress.write();
            return progress;
        } catch (IOException e) {
            throw new UncheckedIOException("layer search: cannot use its directory " + directory + ": "
                    + e.getMessage(), e);
        }
    }

    /** The generations finished under this search's settings, or null when none. */
    Generations generations() {
        return generations;
    }

    /** Records the generations finished so far. */
    void generationDone(Generations done) {
        generations = new Generations(List.copyOf(done.parents()), done.trace().clone(), done.uniformDivergence(),
                done.evaluations(), new LinkedHashMap<>(done.scored()));
        write();
    }

    private void write() {
        Path partial = directory.resolve(FILE + ".partial");
        try {
            JSON.writeValue(partial.toFile(), new State(database, search, generations));
        } catch (IOException e) {
            throw new UncheckedIOException("layer search: cannot write " + partial + ": " + e.getMessage(), e);
        }
        LevelDatabase.move(partial, directory.resolve(FILE));
    }

    /** The state in {@code file}, or null when there is none or it cannot be read (then the search starts over). */
    private static State read(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readValue(file.toFile(), State.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** Deletes the search's files in {@code directory}, then the directory when nothing else is left in it. */
    static void remove(Path directory) {
        if (!Files.isDirectory(directory)) {
            return;
        }
        try {
            removeSearchFiles(directory);
            try (DirectoryStream<Path> left = Files.newDirectoryStream(directory)) {
                if (!left.iterator().hasNext()) {
                    Files.delete(directory);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("layer search: cannot remove " + directory + ": " + e.getMessage(), e);
        }
    }

    /** Deletes what a search writes into its directory (nothing else found there). */
    private static void removeSearchFiles(Path directory) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, entry -> {
            String name = entry.getFileName().toString();
            return name.startsWith("layer-") || name.startsWith(LevelDatabase.HIDDEN_FILE) || name.startsWith(FILE);
        })) {
            for (Path file : files) {
                Files.deleteIfExists(file);
            }
        }
    }

    /**
     * A fingerprint of what decides the database's blocks: the model (its config, every tensor's name and shape, and
     * its first and last values), the variant's key, the target, the ladder, whether the blocks read XᵀX and every
     * calibration token.
     */
    static String databaseFingerprint(DecoderConfig config, TensorSource weights, String variantKey, double target,
            double[] ladder, boolean hessian, List<int[]> windows) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        digest.update((config + "|" + variantKey + "|" + target + "|" + Arrays.toString(ladder) + "|" + hessian)
                .getBytes(StandardCharsets.UTF_8));
        for (String name : new TreeSet<>(weights.names())) {
            long[] shape = weights.info(name).shape();
            digest.update((name + Arrays.toString(shape)).getBytes(StandardCharsets.UTF_8));
            long count = weights.info(name).elementCount();
            int sample = (int) Math.min(count, 64);
            update(digest, weights.readRange(name, 0, sample));
            update(digest, weights.readRange(name, count - sample, sample));
        }
        for (int[] window : windows) {
            ByteBuffer tokens = ByteBuffer.allocate(window.length * Integer.BYTES + Integer.BYTES)
                    .order(ByteOrder.LITTLE_ENDIAN);
            tokens.putInt(window.length);
            tokens.asIntBuffer().put(window);
            digest.update(tokens.array());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void update(MessageDigest digest, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        digest.update(bytes.array());
    }
}
