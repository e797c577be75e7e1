package dev.prunelab.work;

import dev.prunelab.events.ArtifactRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A directory shared by the services (a volume in Kubernetes) that holds models; events carry their
 * {@link ArtifactRef} (file: URI, sha256, size), never the bytes.
 *
 * <p>An artifact is written under a temporary name ({@code .tmp-<name>-<uuid>}) and renamed atomically when
 * complete, so a reader never sees half a model and a writer killed mid-way leaves only a temporary directory.
 * Committing a name that already exists keeps the existing artifact (a redelivered request produced it already) and
 * discards the new copy.
 *
 * <p>Several service replicas share one store. A staging directory carries its writer's id in {@code .owner}, whose
 * modification time the writer renews every quarter lease while it works (its heartbeat); {@link #removeAbandoned()}
 * deletes only staging directories whose heartbeat is older than the lease, so a starting replica never deletes
 * another's work in progress. {@link #claim} makes a piece of work (pruning a run, evaluating it) one replica's at a
 * time: a file created exclusively in {@code .claims}, renewed by the same heartbeat, released when the work ends,
 * and taken over by another replica only once its owner's heartbeat is older than the lease ({@link Heartbeats}).
 * {@link #outcomes()} records how each piece of work ended; {@link ClaimedWork} is the protocol over both.
 *
 * <p>sha256 and size of an artifact: {@link ArtifactHash}.
 *
 * <p>{@link #resolve} refuses anything outside the store: relative paths with {@code ..}, absolute paths and
 * URIs elsewhere, and symbolic links (in the path or inside an artifact) that lead out.
 */
public final class ArtifactStore {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String TEMP_PREFIX = ".tmp-";
    /** In a staging directory: its writer's id; the file's modification time is the writer's heartbeat. */
    static final String OWNER_FILE = ".owner";
    static final String CLAIMS = ".claims";
    /** How long a replica's heartbeat may be silent before its staging directories and claims count as abandoned. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);

    private final Path root;
    private final String owner;
    private final Heartbeats heartbeats;
    private final Outcomes outcomes;

    /** Creates the directory when missing; this process's owner id is random, its lease {@link #DEFAULT_LEASE}. */
    public ArtifactStore(Path root) {
        this(root, "replica-" + UUID.randomUUID(), DEFAULT_LEASE);
    }

    /**
     * @param owner this replica's id, written into what it stages and claims
     * @param lease how long another replica's silent heartbeat is trusted
     */
    public ArtifactStore(Path root, String owner, Duration lease) {
        this(root, owner, lease, Clock.systemUTC(), true);
    }

    /**
     * A replica whose time and heartbeat the caller controls (tests): {@code clock} stamps this replica's heartbeats
     * and judges other replicas' staleness; with {@code heartbeatThread} false no thread renews the heartbeats, the
     * caller does with {@link #renewHeartbeats()}, so a replica that died is one whose heartbeats are no longer
     * renewed, and a lease runs out when the clock is moved past it, not when a thread happens to lag.
     */
    ArtifactStore(Path root, String owner, Duration lease, Clock clock, boolean heartbeatThread) {
        try {
            this.root = Files.createDirectories(root).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the artifact store " + root, e);
        }
        this.owner = owner;
        this.heartbeats = new Heartbeats(lease, clock, heartbeatThread, () -> {
            try {
                removeAbandoned();
            } catch (IOException e) {
                // the next round tries again
            }
        });
        this.outcomes = new Outcomes(this.root);
    }

    public Path root() {
        return root;
    }

    public String owner() {
        return owner;
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

        /** Deletes what was staged (a failed write); nothing is left behind. */
        public void discard() throws IOException {
            heartbeats.forget(directory.resolve(OWNER_FILE));
            if (Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
                deleteTree(directory);
            }
        }
    }

    /** @param name the artifact's name, usually the run id: letters, digits, '.', '_', '-' */
    public Staging stage(String name) throws IOException {
        checkName(name);
        Path tmp = Files.createDirectory(root.resolve(TEMP_PREFIX + name + "-" + UUID.randomUUID()));
        Path ownerFile = Files.writeString(tmp.resolve(OWNER_FILE), owner);
        heartbeats.keep(ownerFile);
        return new Staging(name, tmp);
    }

    /** One replica's hold on a piece of work; {@link #close()} releases it. */
    public final class Claim implements AutoCloseable {
        private final Path file;

        private Claim(Path file) {
            this.file = file;
        }

        /** Releases the claim, if this replica still holds it. */
        @Override
        public void close() {
            heartbeats.forget(file);
            try {
                if (owner.equals(Files.readString(file))) {
                    Files.deleteIfExists(file);
                }
            } catch (IOException e) {
                // already gone, or taken over after our lease ran out: nothing of ours to release
            }
        }
    }

    /**
     * Claims {@code kind}/{@code name} for this replica: created exclusively, so of several replicas asking at once
     * one gets it. Empty while another replica holds it with a live heartbeat; a claim whose heartbeat is older than
     * the lease (its owner died) is taken over.
     *
     * @param kind what is claimed ("prune", "evaluate"), so one name can be claimed for different work
     */
    public Optional<Claim> claim(String kind, String name) throws IOException {
        String fileName = Outcomes.fileName(kind, name);
        Path claims = Files.createDirectories(root.resolve(CLAIMS));
        Path file = claims.resolve(fileName);
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                Files.writeString(file, owner, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                heartbeats.keep(file);
                return Optional.of(new Claim(file));
            } catch (FileAlreadyExistsException held) {
                if (!heartbeats.stale(file)) {
                    return Optional.empty();
                }
                // Its owner is gone. Move it aside under a unique name: of several replicas taking over at once,
                // exactly one rename succeeds, and only then is the name free to be created again.
                try {
                    Path aside = claims.resolve(TEMP_PREFIX + fileName + "-" + UUID.randomUUID());
                    Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
                    Files.deleteIfExists(aside);
                } catch (NoSuchFileException gone) {
                    // another replica moved it first; try to create it again
                }
            }
        }
        return Optional.empty();
    }

    /** How each piece of work ended, and which of those outcomes the broker has not acknowledged yet. */
    public Outcomes outcomes() {
        return outcomes;
    }

    /** True while the committed artifact {@code name} exists. */
    public boolean contains(String name) {
        checkName(name);
        return Files.exists(root.resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    /** How long another replica's silent heartbeat is trusted. */
    public Duration lease() {
        return heartbeats.lease();
    }

    /** Renews every heartbeat this replica keeps (what its heartbeat thread does every quarter lease). */
    void renewHeartbeats() {
        heartbeats.renewAll();
    }

    private ArtifactRef commit(Staging staging) throws IOException {
        Path ownerFile = staging.directory.resolve(OWNER_FILE);
        heartbeats.forget(ownerFile);
        // Deleting the owner file touches the directory, whose modification time then stands in as the heartbeat
        // for the moment until the rename.
        Files.deleteIfExists(ownerFile);
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
            throw new IllegalArgumentException("no artifact '" + name + "' in the artifact store");
        }
        return ArtifactHash.of(path);
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
            throw new IllegalArgumentException("'" + reference + "' is not in the artifact store (only file: URIs and "
                    + "paths are)");
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
        Path real = InputRoots.realPathOfDeepestExisting(normal);
        if (real == null || !real.startsWith(root) || Files.isSymbolicLink(normal)) {
            throw outside(reference);
        }
        String first = root.relativize(normal).getName(0).toString();
        if (first.startsWith(TEMP_PREFIX)) {
            throw new IllegalArgumentException("'" + reference + "' is an artifact still being written");
        }
        if (first.startsWith(".")) { // claims and recorded outcomes: the store's own bookkeeping
            throw new IllegalArgumentException("'" + reference + "' is not an artifact");
        }
        return normal;
    }

    /**
     * Deletes staging directories whose writer's heartbeat is older than the lease (the writer died); another
     * replica's work in progress, and this replica's own, are kept. Returns how many were removed.
     */
    public int removeAbandoned() throws IOException {
        List<Path> abandoned;
        try (Stream<Path> entries = Files.list(root)) {
            abandoned = entries.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX))
                    .filter(p -> !heartbeats.keeps(p.resolve(OWNER_FILE)))
                    .filter(p -> Files.exists(p.resolve(OWNER_FILE), LinkOption.NOFOLLOW_LINKS)
                            ? heartbeats.stale(p.resolve(OWNER_FILE)) : heartbeats.stale(p))
                    .toList();
        }
        int removed = 0;
        for (Path p : abandoned) {
            try {
                deleteTree(p);
                removed++;
            } catch (NoSuchFileException raced) {
                // another replica removed it at the same time
            }
        }
        return removed;
    }

    private IllegalArgumentException outside(String reference) {
        return new IllegalArgumentException("'" + reference + "' is outside the artifact store");
    }

    static void checkName(String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("artifact name '" + name + "' must be 1 to 128 characters of "
                    + "A-Z a-z 0-9 . _ - starting with a letter or digit");
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
