package dev.prunelab.text.corpus;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shipped data folder (models, tokenizers, texts): {@code $PRUNELAB_DATA} when set, otherwise the first
 * {@code shared/data} found in the working directory or one of its ancestors (the repository lives at
 * {@code X/main} and the data at {@code X/shared/data}).
 */
public final class SharedData {
    public static final String ENV = "PRUNELAB_DATA";

    private SharedData() {
    }

    /** The data folder; fails naming what was tried when there is none. */
    public static Path root() {
        return root(System.getenv(ENV), Path.of("").toAbsolutePath());
    }

    /** {@link #root()} with the environment value and working directory given, so both branches are testable. */
    static Path root(String env, Path start) {
        if (env != null && !env.isBlank()) {
            Path root = Path.of(env).toAbsolutePath().normalize();
            if (!Files.isDirectory(root)) {
                throw new IllegalStateException(ENV + "=" + env + " is not a directory");
            }
            return root;
        }
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate)) {
                return candidate.normalize();
            }
        }
        throw new IllegalStateException("shared data folder not found: " + ENV + " is not set and no shared/data "
                + "exists in " + start + " or any of its parents");
    }

    /** A file or folder under {@link #root()}, which must exist (e.g. "text/wikitext-2-raw/wiki.test.raw"). */
    public static Path path(String relative) {
        if (relative == null || relative.isBlank()) {
            throw new IllegalArgumentException("shared data path is empty");
        }
        Path root = root();
        Path resolved = root.resolve(relative).normalize();
        if (Path.of(relative).isAbsolute() || !resolved.startsWith(root)) {
            throw new IllegalArgumentException("shared data path '" + relative + "' must be relative and stay inside "
                    + root);
        }
        if (!Files.exists(resolved)) {
            throw new IllegalArgumentException("shared data " + resolved + " does not exist (see "
                    + root.resolve("SOURCES.md") + " for what is shipped)");
        }
        return resolved;
    }
}
