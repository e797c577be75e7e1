package dev.prunelab.work;

import dev.prunelab.events.ArtifactRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The sha256 and size an {@link ArtifactRef} carries. Of a directory: over its regular files in sorted relative-path
 * order ('/'-separated), each as {@code path '\n' size '\n' bytes}; of a single file, the plain sha256 of its bytes
 * (as sha256sum). Size: the sum of the files' sizes.
 */
final class ArtifactHash {

    private ArtifactHash() {
    }

    static ArtifactRef of(Path path) throws IOException {
        Hashed hashed = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS) ? directory(path) : file(path);
        return new ArtifactRef(path.toUri().toString(), hashed.sha256(), hashed.sizeBytes());
    }

    /** What hashing read: the digest, and how many bytes it read. */
    private record Hashed(String sha256, long sizeBytes) {
    }

    private static Hashed directory(Path dir) throws IOException {
        MessageDigest digest = sha256();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                    .sorted(Comparator.comparing(p -> relative(dir, p))).toList();
        }
        long size = 0;
        for (Path file : files) {
            long bytes = Files.size(file);
            digest.update((relative(dir, file) + "\n" + bytes + "\n").getBytes(StandardCharsets.UTF_8));
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            size += bytes;
        }
        return new Hashed(HexFormat.of().formatHex(digest.digest()), size);
    }

    private static Hashed file(Path file) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return new Hashed(HexFormat.of().formatHex(digest.digest()), Files.size(file));
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
}
