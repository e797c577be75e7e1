package dev.prunelab.evaluation.report;

import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.file.Path;

/** The tokenizer exported beside a model, and the model's BOS convention. */
public final class ModelTokenizer {
    private ModelTokenizer() {
    }

    public static TextTokenizer open(DecoderSession session) {
        ModelCard card = session.card();
        if (card.tokenizerFile() == null) {
            throw new InvalidSetting("tokenizer", session.directory() + " was exported without one; export it "
                    + "again with a tokenizer");
        }
        Path path = session.directory().resolve(card.tokenizerFile()).normalize();
        return TextTokenizer.open(path);
    }

    /** BOS + pieces when the model has a BOS id, else the pieces alone. */
    public static int[] withBos(ModelCard card, int[] pieces) {
        if (card.bosTokenId() < 0) {
            return pieces;
        }
        int[] ids = new int[pieces.length + 1];
        ids[0] = card.bosTokenId();
        System.arraycopy(pieces, 0, ids, 1, pieces.length);
        return ids;
    }

    /** The text that {@code generated} adds after {@code prompt} (decoded together, so merges at the seam are right). */
    public static String continuation(TextTokenizer tokenizer, int[] prompt, int[] generated) {
        int[] all = new int[prompt.length + generated.length];
        System.arraycopy(prompt, 0, all, 0, prompt.length);
        System.arraycopy(generated, 0, all, prompt.length, generated.length);
        String full = tokenizer.decode(all);
        String head = tokenizer.decode(prompt);
        return full.startsWith(head) ? full.substring(head.length()) : tokenizer.decode(generated);
    }
}
