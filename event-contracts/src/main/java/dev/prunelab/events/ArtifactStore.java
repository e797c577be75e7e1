package dev.prunelab.events;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
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
 * and taken over by another replica only once its owner's heartbeat is older than the lease.
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
    /** In a staging directory: its writer's id; the file's modification time is the writer's heartbeat. */
    static final String OWNER_FILE = ".owner";
    static final String CLAIMS = ".claims";
    static final String OUTCOMES = ".outcomes";
    /** How long a replica's heartbeat may be silent before its staging directories and claims count as abandoned. */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);

    private final Path root;
    private final String owner;
    private final Duration lease;
    /** Judges staleness and stamps heartbeats; the system clock but in tests, which move it past a lease. */
    private final Clock clock;
    /** False in tests: no thread renews the heartbeats, the test calls {@link #renewHeartbeats()} instead. */
    private final boolean heartbeatThread;
    private final Set<Path> heartbeats = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService heartbeat;
    private long renewals;

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
        this.lease = lease;
        this.clock = clock;
        this.heartbeatThread = heartbeatThread;
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
            heartbeats.remove(directory.resolve(OWNER_FILE));
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
        keepBeating(ownerFile);
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
            heartbeats.remove(file);
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
        checkName(kind);
        checkName(name);
        Path claims = Files.createDirectories(root.resolve(CLAIMS));
        Path file = claims.resolve(kind + "-" + name);
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                Files.writeString(file, owner, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                keepBeating(file);
                return Optional.of(new Claim(file));
            } catch (FileAlreadyExistsException held) {
                if (!stale(file)) {
                    return Optional.empty();
                }
                // Its owner is gone. Move it aside under a unique name: of several replicas taking over at once,
                // exactly one rename succeeds, and only then is the name free to be created again.
                try {
                    Path aside = claims.resolve(TEMP_PREFIX + kind + "-" + name + "-" + UUID.randomUUID());
                    Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
                    Files.deleteIfExists(aside);
                } catch (NoSuchFileException gone) {
                    // another replica moved it first; try to create it again
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Records how a piece of work ended without an artifact (the failure event's JSON), written atomically, so that
     * a replica that waited for the claim, or receives the work again, answers the same instead of trying again.
     */
    public void recordOutcome(String kind, String name, String json) throws IOException {
        checkName(kind);
        checkName(name);
        Path outcomes = Files.createDirectories(root.resolve(OUTCOMES));
        Path tmp = outcomes.resolve(TEMP_PREFIX + kind + "-" + name + "-" + UUID.randomUUID());
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        Files.move(tmp, outcomes.resolve(kind + "-" + name + ".json"), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    /** The recorded outcome of a piece of work, if it ended without an artifact. */
    public Optional<String> outcome(String kind, String name) throws IOException {
        checkName(kind);
        checkName(name);
        Path file = root.resolve(OUTCOMES).resolve(kind + "-" + name + ".json");
        return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                ? Optional.of(Files.readString(file, StandardCharsets.UTF_8)) : Optional.empty();
    }

    /** True while the committed artifact {@code name} exists. */
    public boolean contains(String name) {
        checkName(name);
        return Files.exists(root.resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    /** How long another replica's silent heartbeat is trusted. */
    public Duration lease() {
        return lease;
    }

    /** True when the heartbeat file's last renewal is older than the lease (or the file is gone). */
    private boolean stale(Path heartbeatFile) {
        try {
            Instant renewed = Files.getLastModifiedTime(heartbeatFile, LinkOption.NOFOLLOW_LINKS).toInstant();
            return renewed.plus(lease).isBefore(clock.instant());
        } catch (IOException e) {
            return true;
        }
    }

    /**
     * Stamps the new file's first heartbeat now (by this replica's clock, not the file system's) and renews its
     * modification time every quarter lease while this replica works on it.
     */
    private synchronized void keepBeating(Path file) throws IOException {
        Files.setLastModifiedTime(file, FileTime.from(clock.instant()));
        heartbeats.add(file);
        if (heartbeatThread && heartbeat == null) {
            heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "artifact-store-heartbeat");
                thread.setDaemon(true);
                return thread;
            });
            long periodMillis = Math.max(1, lease.toMillis() / 4);
            heartbeat.scheduleAtFixedRate(this::renew, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }
    }

    private void renew() {
        if (++renewals % 4 == 0) {
            try {
                removeAbandoned(); // a dead replica's staging goes within about two leases, not at the next start
            } catch (IOException | RuntimeException e) {
                // the next round tries again
            }
        }
        renewHeartbeats();
    }

    /** Renews every heartbeat this replica keeps (what its heartbeat thread does every quarter lease). */
    void renewHeartbeats() {
        FileTime now = FileTime.from(clock.instant());
        for (Path file : heartbeats) {
            try {
                Files.setLastModifiedTime(file, now);
            } catch (IOException e) {
                heartbeats.remove(file); // committed, discarded or taken over: nothing to renew
            }
        }
    }

    private ArtifactRef commit(Staging staging) throws IOException {
        Path ownerFile = staging.directory.resolve(OWNER_FILE);
        heartbeats.remove(ownerFile);
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
                    .filter(p -> !heartbeats.contains(p.resolve(OWNER_FILE)))
                    .filter(p -> Files.exists(p.resolve(OWNER_FILE), LinkOption.NOFOLLOW_LINKS)
                            ? stale(p.resolve(OWNER_FILE)) : stale(p))
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
