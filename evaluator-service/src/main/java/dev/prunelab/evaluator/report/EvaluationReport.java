package dev.prunelab.evaluator.report;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.prunelab.evaluator.quality.PerplexityEvaluator.PerplexityResult;
import dev.prunelab.evaluator.runtime.DecoderSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The evaluator's result document, schema version 1 (documented in README "Evaluation result"): what was
 * measured (model identity, protocol and settings), the figures, where (provider, host) and when.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationReport(
        int schemaVersion,
        Model model,
        String provider,
        String providerNote,
        String host,
        String startedAt,
        String endedAt,
        Perplexity perplexity) {

    public static final int SCHEMA_VERSION = 1;

    /** @param sha256 of model.onnx (and model.onnx.data when present), identifying exactly what ran */
    public record Model(String path, String family, long parameterCount, String weightDtype, String sha256,
            String sourceSha256) {
    }

    /** @param protocol "paragraphs" or "wikitext" (README "Perplexity protocols") */
    public record Perplexity(String text, String protocol, int window, int windows, long scoredTokens, double loss,
            double perplexity, double seconds, double tokensPerSecond) {
        public Perplexity(String text, String protocol, PerplexityResult result) {
            this(text, protocol, result.window(), result.windows(), result.scoredTokens(), result.loss(),
                    result.perplexity(), result.seconds(), result.tokensPerSecond());
        }
    }

    public static EvaluationReport of(DecoderSession session, Instant startedAt, Instant endedAt, Perplexity perplexity) {
        var card = session.card();
        Model model = new Model(session.directory().toAbsolutePath().toString(), card.family(), card.parameterCount(),
                card.weightDtype(), modelSha256(session.directory()), card.sourceSha256());
        return new EvaluationReport(SCHEMA_VERSION, model, session.providerUsed(), session.providerNote(), hostName(),
                startedAt.toString(), endedAt.toString(), perplexity);
    }

    static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }

    static String modelSha256(Path directory) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 20];
            for (String name : new String[] {dev.prunelab.contracts.DecoderIo.MODEL_FILE,
                    dev.prunelab.contracts.DecoderIo.EXTERNAL_DATA_FILE}) {
                Path file = directory.resolve(name);
                if (!Files.exists(file)) {
                    continue;
                }
                try (InputStream in = Files.newInputStream(file)) {
                    int read;
                    while ((read = in.read(buffer)) > 0) {
                        digest.update(buffer, 0, read);
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash " + directory, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
