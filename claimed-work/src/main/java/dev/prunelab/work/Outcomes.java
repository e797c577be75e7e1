package dev.prunelab.work;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * How each piece of work ended, in the shared store: {@code .outcomes/<kind>-<name>.json} holds the outcome event's
 * JSON, and an empty {@code .outcomes/unpublished/<kind>-<name>} says the broker has not acknowledged it yet (the
 * outbox the relay reads). Both are written by any replica and read by all: an outcome recorded by one replica is
 * what another answers and may publish.
 *
 * <p>Recording writes the outcome (atomically: a temporary file renamed) and then its unpublished mark. A replica
 * killed between the two leaves an outcome without its mark; its message was not acknowledged yet (that happens
 * only after recording and the first publish attempt), so the redelivery answers the recorded outcome and
 * publishes it again.
 */
public final class Outcomes {

    /**
     * A kind of work ("prune", "evaluate", "decode.pruner"): lower-case letters, digits and dots, no '-', so that
     * {@code <kind>-<name>} names one kind and one name only.
     */
    private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9.]{0,31}");
    static final String DIRECTORY = ".outcomes";
    static final String UNPUBLISHED = "unpublished";
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path directory;
    private final Path unpublished;

    Outcomes(Path storeRoot) {
        this.directory = storeRoot.resolve(DIRECTORY);
        this.unpublished = directory.resolve(UNPUBLISHED);
    }

    /** Records how {@code kind}/{@code name} ended (replacing an earlier record) as not yet published. */
    public void record(String kind, String name, String json) throws IOException {
        String file = fileName(kind, name);
        Files.createDirectories(unpublished);
        Path tmp = directory.resolve(TEMP_PREFIX + file + "-" + UUID.randomUUID());
        Files.writeString(tmp, json, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, directory.resolve(file + ".json"), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        markUnpublished(kind, name);
    }

    /** The recorded outcome's JSON, if there is one. */
    public Optional<String> find(String kind, String name) throws IOException {
        Path file = directory.resolve(fileName(kind, name) + ".json");
        try {
            return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                    ? Optional.of(Files.readString(file, StandardCharsets.UTF_8)) : Optional.empty();
        } catch (NoSuchFileException removed) { // removed between the look and the read
            return Optional.empty();
        }
    }

    /** The broker acknowledged the outcome: the relay leaves it alone. */
    public void markPublished(String kind, String name) throws IOException {
        Files.deleteIfExists(unpublished.resolve(fileName(kind, name)));
    }

    /** The outcome still has to reach the broker: the relay of any replica will publish it. */
    public void markUnpublished(String kind, String name) throws IOException {
        Files.createDirectories(unpublished);
        Path mark = unpublished.resolve(fileName(kind, name));
        if (!Files.exists(mark, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createFile(mark);
            } catch (FileAlreadyExistsException raced) {
                // another replica marked it at the same moment: one mark is enough
            }
        }
    }

    public boolean isPublished(String kind, String name) {
        return !Files.exists(unpublished.resolve(fileName(kind, name)), LinkOption.NOFOLLOW_LINKS);
    }

    /** The names of {@code kind} whose outcome is not yet published, in name order. */
    public List<String> unpublished(String kind) throws IOException {
        checkKind(kind);
        String prefix = kind + "-";
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(unpublished)) {
            return names;
        }
        try (DirectoryStream<Path> marks = Files.newDirectoryStream(unpublished, prefix + "*")) {
            for (Path mark : marks) {
                names.add(mark.getFileName().toString().substring(prefix.length()));
            }
        }
        names.sort(null);
        return names;
    }

    /** Refuses a kind that could make {@code <kind>-<name>} ambiguous, and a name the store would not take. */
    static String fileName(String kind, String name) {
        checkKind(kind);
        ArtifactStore.checkName(name);
        return kind + "-" + name;
    }

    static void checkKind(String kind) {
        if (kind == null || !KIND.matcher(kind).matches()) {
            throw new IllegalArgumentException("work kind '" + kind + "' must be 1 to 32 characters of a-z 0-9 . "
                    + "starting with a letter");
        }
    }
}
