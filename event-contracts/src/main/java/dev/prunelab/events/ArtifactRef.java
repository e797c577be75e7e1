package dev.prunelab.events;

import dev.prunelab.vocabulary.InvalidSetting;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * A model in the artifact store: models never travel through Kafka, events carry this reference.
 *
 * @param uri       absolute URI with a scheme, e.g. {@code file:/srv/artifacts/run-1}
 * @param sha256    64 lower-case hex digits (the store documents what is hashed)
 * @param sizeBytes total bytes of the artifact
 */
public record ArtifactRef(String uri, String sha256, long sizeBytes) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public ArtifactRef {
        Check.text("uri", uri);
        try {
            if (new URI(uri).getScheme() == null) {
                throw new InvalidSetting("uri", "'" + uri + "' has no scheme (expected e.g. file:/...)");
            }
        } catch (URISyntaxException e) {
            throw new InvalidSetting("uri", "'" + uri + "' is not a URI: " + e.getReason());
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new InvalidSetting("sha256", "'" + sha256 + "' is not 64 lower-case hex digits");
        }
        if (sizeBytes < 0) {
            throw new InvalidSetting("sizeBytes", sizeBytes + " must not be negative");
        }
    }
}
