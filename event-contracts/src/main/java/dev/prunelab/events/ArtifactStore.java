package dev.prunelab.events;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory shared by the services (a volume in Kubernetes) that holds models; events carry their
 * {@link ArtifactRef} (file: URI, sha256, size), never the bytes.
 *
 * <p>An artifact is written under a temporary name ({@code .tmp-<name>-<uuid>}) and renamed atomically when
 * complete, so a reader never sees half a model and a writer killed mid-way leaves only a temporary directory
 * ({@link #removeAbandoned()}). Committing a name that already exists keeps the existing artifact (a redelivered
 * request produced it already) and discards the new copy.
 *
 * <p>sha256 of a directory artifact: over its regular files in sorted relative-path order ('/'-separated), each
 * as {@code path '\n' size '\n' bytes}; of a single file, the plain sha256 of its bytes (as sha256sum).
 * Size: the sum of the files' sizes.
 *
 * <p>{@link #resolve} refuses anything outside the store: relative paths with {@code ..}, absolute paths and
 * URIs elsewhere, and symbolic links (in the path or inside an artifact) that lead out.
 */
public final class ArtifactStore {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path root;

    /** Creates the directory when missing. */
    public ArtifactStore(Path root) {
        try {
            this.root = Files.createDirectories(root).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the artifact store " + root, e);
        }
    }

    public Path root() {
        return root;
    }

    /** A temporary directory to write an artifact into, committed under {@code name}. */
    public final class Staging {
        private final String name;
        private final Path directory;

        private Staging(String name, Path directory) {
            this.name = name;
            this.directory = directory;
        }

        public Path directory() {
            return directory;
        }

        public String name() {
            return name;
        }

        /** Renames the directory to its name; returns the reference to publish. */
        public ArtifactRef commit() throws IOException {
            return ArtifactStore.this.commit(this);
        }
    }

    /** @param name the artifact's name, usually the run id: letters, digits, '.', '_', '-' */
    public Staging stage(String name) throws IOException {
        checkName(name);
        Path tmp = Files.createDirectory(root.resolve(TEMP_PREFIX + name + "-" + UUID.randomUUID()));
        return new Staging(name, tmp);
    }

    private ArtifactRef commit(Staging staging) throws IOException {
        Path target = root.resolve(staging.name);
        try (Stream<Path> files = Files.walk(staging.directory)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isSymbolicLink(p)) {
                    throw new IllegalArgumentException("artifact " + staging.name + " contains a symbolic link "
                            + staging.directory.relativize(p) + "; the store holds plain files only");
                }
            }
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(staging.directory);
            return describe(staging.name);
        }
        try {
            Files.move(staging.directory, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileSystemException e) {
            // Another writer committed the same name between the check and the rename (rename(2) says ENOTEMPTY).
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                throw e;
            }
            deleteTree(staging.directory);
        }
        return describe(staging.name);
    }

    /** The reference of a committed artifact, hashed now. */
    public ArtifactRef describe(String name) throws IOException {
        checkName(name);
        Path path = resolve(root.resolve(name).toString());
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("no artifact '" + name + "' in " + root);
        }
        long[] size = {0};
        String sha256 = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? hashDirectory(path, size) : hashFile(path, size);
        return new ArtifactRef(path.toUri().toString(), sha256, size[0]);
    }

    /** Recomputes sha256 and size; refuses an artifact that changed or is outside the store. */
    public Path verify(ArtifactRef ref) throws IOException {
        Path path = resolve(ref.uri());
        ArtifactRef now = describe(root.relativize(path).toString());
        if (!now.sha256().equals(ref.sha256()) || now.sizeBytes() != ref.sizeBytes()) {
            throw new IllegalArgumentException("artifact " + ref.uri() + " is " + now.sizeBytes() + " bytes with sha256 "
                    + now.sha256() + ", the reference says " + ref.sizeBytes() + " bytes with " + ref.sha256());
        }
        return path;
    }

    /**
     * The path of an artifact reference: a {@code file:} URI, an absolute path, or a path relative to the root.
     * Refuses anything that is, or leads through a symbolic link, outside the store, and temporary directories.
     */
    public Path resolve(String reference) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException("an artifact reference is missing");
        }
        if (!reference.startsWith("file:") && reference.matches("[A-Za-z][A-Za-z0-9+.-]+:.*")) {
            throw new IllegalArgumentException("'" + reference + "' is not in the artifact store " + root
                    + " (only file: URIs and paths are)");
        }
        Path path;
        try {
            path = reference.startsWith("file:") ? Path.of(URI.create(reference)) : root.resolve(reference);
        } catch (IllegalArgumentException e) { // also InvalidPathException, a bad URI or a relative file: URI
            throw new IllegalArgumentException("'" + reference + "' is not a valid file URI or path: " + e.getMessage());
        }
        Path normal = path.toAbsolutePath().normalize();
        if (!normal.startsWith(root) || normal.equals(root)) {
            throw outside(reference);
        }
        // Symbolic links: the real path of the deepest existing ancestor must stay inside too.
        Path existing = normal;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        try {
            if (existing != null && !existing.toRealPath().startsWith(root)) {
                throw outside(reference);
            }
            if (Files.isSymbolicLink(normal)) {
                throw outside(reference);
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("'" + reference + "' cannot be resolved: " + e.getMessage());
        }
        if (root.relativize(normal).getName(0).toString().startsWith(TEMP_PREFIX)) {
            throw new IllegalArgumentException("'" + reference + "' is an artifact still being written");
        }
        return normal;
    }

    /** Deletes temporary directories left by writers that died; returns how many. */
    public int removeAbandoned() throws IOException {
        List<Path> abandoned;
        try (Stream<Path> entries = Files.list(root)) {
            abandoned = entries.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList();
        }
        for (Path p : abandoned) {
            deleteTree(p);
        }
        return abandoned.size();
    }

    private IllegalArgumentException outside(String reference) {
        return new IllegalArgumentException("'" + reference + "' is outside the artifact store " + root);
    }

    private static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("artifact name '" + name + "' must be 1 to 128 characters of "
                    + "A-Z a-z 0-9 . _ - starting with a letter or digit");
        }
    }

    private static String hashDirectory(Path dir, long[] size) throws IOException {
        MessageDigest digest = sha256();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted(Comparator.comparing(p -> relative(dir, p))).toList();
        }
        for (Path file : files) {
            long bytes = Files.size(file);
            digest.update((relative(dir, file) + "\n" + bytes + "\n").getBytes(StandardCharsets.UTF_8));
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            size[0] += bytes;
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String hashFile(Path file, long[] size) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        size[0] = Files.size(file);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
