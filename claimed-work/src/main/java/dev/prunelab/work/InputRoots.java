package dev.prunelab.work;

import dev.prunelab.vocabulary.InvalidSetting;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The only places a request may name a file in: the models root, the data root (texts, tokenizers) and the artifact
 * store. The gateway, the pruner and the evaluator all resolve request paths here, with one behaviour for plain
 * paths and {@code file:} URIs: the path is made absolute and normalised ({@code ..} removed), and the real path of
 * its deepest existing ancestor (every symbolic link followed) must lie inside a root. Anything else is refused with
 * the same message whether or not it exists, so the answer tells nothing about the rest of the filesystem; paths
 * inside a root are named relative to it ({@code models:stories15M/stories15M.bin}), never by their absolute
 * location on the server.
 */
public final class InputRoots {

    /** A named directory requests may read from; {@code directory} is its real path. */
    public record Root(String name, Path directory) {
    }

    /** A request path inside a root. */
    public record Confined(Root root, Path path) {
        /** The path as messages name it: {@code root:relative/path}. */
        public String display() {
            Path relative = root.directory().relativize(path);
            return root.name() + ":" + relative.toString().replace(path.getFileSystem().getSeparator(), "/");
        }

        public boolean exists() {
            return Files.exists(path);
        }
    }

    private final List<Root> roots;

    public InputRoots(List<Root> roots) {
        this.roots = List.copyOf(roots);
    }

    /**
     * Roots from configuration values: comma-separated directories per kind. A directory that does not exist is left
     * out (a gateway may run where the artifact store is not mounted yet), so it confines nothing in.
     */
    public static InputRoots of(String models, String data, Optional<Path> artifacts) {
        List<Root> roots = new ArrayList<>();
        add(roots, "models", models);
        add(roots, "data", data);
        artifacts.ifPresent(dir -> add(roots, "artifacts", dir.toString()));
        return new InputRoots(roots);
    }

    private static void add(List<Root> roots, String name, String directories) {
        if (directories == null) {
            return;
        }
        for (String directory : directories.split(",")) {
            if (directory.isBlank()) {
                continue;
            }
            try {
                Path real = Path.of(directory.strip()).toAbsolutePath().normalize().toRealPath();
                if (Files.isDirectory(real) && roots.stream().noneMatch(r -> r.directory().equals(real))) {
                    roots.add(new Root(name, real));
                }
            } catch (IOException e) {
                // not there (yet): nothing can be read from it
            }
        }
    }

    public List<Root> roots() {
        return roots;
    }

    /**
     * The confined path of a request's file (a plain absolute path or a {@code file:} URI).
     *
     * @param field named in the refusal ("model.path")
     * @throws InvalidSetting when it is not a path, not absolute, or outside every root
     */
    public Confined resolve(String field, String reference) {
        if (reference == null || reference.isBlank()) {
            throw new InvalidSetting(field, "is missing");
        }
        Path path;
        try {
            if (reference.startsWith("file:")) {
                path = Path.of(URI.create(reference));
            } else if (reference.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) {
                throw new InvalidSetting(field, "must be a path or a file: URI");
            } else {
                path = Path.of(reference);
            }
        } catch (IllegalArgumentException e) { // a malformed or relative file: URI, a path with a NUL byte
            if (e instanceof InvalidSetting setting) {
                throw setting;
            }
            throw new InvalidSetting(field, "is not a valid path or file: URI");
        }
        if (!path.isAbsolute()) {
            throw new InvalidSetting(field, "must be an absolute path or a file: URI");
        }
        Path normal = path.normalize();
        Path real = realPathOfDeepestExisting(normal);
        for (Root root : roots) {
            if (real != null && real.startsWith(root.directory()) && !real.equals(root.directory())) {
                return new Confined(root, real);
            }
        }
        throw new InvalidSetting(field, "is outside the directories this lab reads from (" + names() + ")");
    }

    /** Every root's absolute location in {@code text} replaced by its name, for messages that leave the service. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String redacted = text;
        List<Root> longestFirst = new ArrayList<>(roots);
        longestFirst.sort((a, b) -> b.directory().toString().length() - a.directory().toString().length());
        for (Root root : longestFirst) {
            redacted = redacted.replace(root.directory().toUri().toString(), root.name() + ":")
                    .replace(root.directory() + "/", root.name() + ":")
                    .replace(root.directory().toString(), root.name() + ":");
        }
        return redacted;
    }

    private String names() {
        String names = roots.stream().map(Root::name).distinct().collect(Collectors.joining(", "));
        return names.isEmpty() ? "none configured" : names;
    }

    /**
     * The path with its deepest existing ancestor replaced by that ancestor's real path (symbolic links followed),
     * so a link inside a root that leads out is judged by where it leads; null when nothing of it exists.
     */
    static Path realPathOfDeepestExisting(Path normal) {
        Path existing = normal;
        List<Path> missing = new ArrayList<>();
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            missing.add(0, existing.getFileName());
            existing = existing.getParent();
        }
        if (existing == null) {
            return null;
        }
        try {
            Path real = existing.toRealPath();
            for (Path name : missing) {
                real = real.resolve(name);
            }
            return real.normalize();
        } catch (IOException e) { // a dangling link: it leads nowhere readable
            return null;
        }
    }

    @Override
    public String toString() {
        return roots.stream().map(r -> r.name() + "=" + r.directory()).collect(Collectors.joining(", "));
    }
}
