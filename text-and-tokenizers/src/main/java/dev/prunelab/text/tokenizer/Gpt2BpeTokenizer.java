package dev.prunelab.text.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2's byte-level BPE (also used by OPT), read from {@code vocab.json} and {@code merges.txt}, applied like
 * OpenAI's encoder.py: the text is cut into pre-tokens by GPT-2's regex, each pre-token's UTF-8 bytes are written
 * with the printable-character alphabet of {@code bytes_to_unicode}, and adjacent symbols are merged lowest rank
 * first. Every byte has a symbol, so every text encodes and decodes back exactly.
 *
 * <p>The text is treated as plain text: a literal "&lt;|endoftext|&gt;" in it is encoded as ordinary characters, as
 * encoder.py does; models that want the special token add {@link #END_OF_TEXT_ID} themselves.
 */
public final class Gpt2BpeTokenizer implements TextTokenizer {
    public static final int END_OF_TEXT_ID = 50256;
    /**
     * GPT-2's pre-tokenizer. UNICODE_CHARACTER_CLASS makes \s Unicode-aware like the Python {@code regex} module
     * GPT-2 used; \p{L} and \p{N} are Unicode categories already.
     */
    static final Pattern PRE_TOKENIZER = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);
    private static final int CACHE_LIMIT = 200_000;
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        // bytes_to_unicode: printable bytes stand for themselves, the other 68 get the chars 256, 257, ...
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private final Path directory;
    private final Map<String, Integer> idOfToken;
    private final String[] tokenOfId;
    private final Map<String, Integer> mergeRank;
    private final Map<String, int[]> wordCache = new ConcurrentHashMap<>();

    private Gpt2BpeTokenizer(Path directory, Map<String, Integer> idOfToken, String[] tokenOfId,
                             Map<String, Integer> mergeRank) {
        this.directory = directory;
        this.idOfToken = idOfToken;
        this.tokenOfId = tokenOfId;
        this.mergeRank = mergeRank;
    }

    /** Reads {@code vocab.json} and {@code merges.txt} from {@code directory}. */
    public static Gpt2BpeTokenizer open(Path directory) {
        return open(directory.resolve("vocab.json"), directory.resolve("merges.txt"));
    }

    /** Reads a GPT-2 vocabulary and its merges list. */
    public static Gpt2BpeTokenizer open(Path vocabFile, Path mergesFile) {
        Path directory = vocabFile.toAbsolutePath().getParent();
        Map<String, Integer> vocab;
        try {
            vocab = new ObjectMapper().readValue(vocabFile.toFile(), new TypeReference<Map<String, Integer>>() { });
        } catch (IOException e) {
            throw new IllegalArgumentException("GPT-2 vocabulary " + vocabFile
                    + " is not a JSON object of token -> id: " + e.getMessage(), e);
        }
        if (vocab.isEmpty()) {
            throw new IllegalArgumentException("GPT-2 vocabulary " + vocabFile + " is empty");
        }
        String[] tokenOfId = new String[vocab.size()];
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            Integer id = entry.getValue();
            if (id == null || id < 0 || id >= tokenOfId.length) {
                throw new IllegalArgumentException("GPT-2 vocabulary " + vocabFile + " gives token '" + entry.getKey()
                        + "' id " + id + "; ids must be 0.." + (tokenOfId.length - 1) + " with none missing");
            }
            if (tokenOfId[id] != null) {
                throw new IllegalArgumentException("GPT-2 vocabulary " + vocabFile + " gives id " + id + " to both '"
                        + tokenOfId[id] + "' and '" + entry.getKey() + "'");
            }
            for (int i = 0; i < entry.getKey().length(); i++) {
                char c = entry.getKey().charAt(i);
                if (c >= CHAR_TO_BYTE.length || CHAR_TO_BYTE[c] < 0) {
                    // Only special tokens such as <|endoftext|> lie outside the byte alphabet; those are all ASCII.
                    throw new IllegalArgumentException("GPT-2 vocabulary " + vocabFile + " token '" + entry.getKey()
                            + "' has char U+" + Integer.toHexString(c) + " outside the byte-level alphabet");
                }
            }
            tokenOfId[id] = entry.getKey();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read GPT-2 merges " + mergesFile, e);
        }
        Map<String, Integer> mergeRank = new HashMap<>(lines.size() * 2);
        for (int lineNo = 1; lineNo <= lines.size(); lineNo++) {
            String line = lines.get(lineNo - 1);
            if (line.isEmpty() || (lineNo == 1 && line.startsWith("#version"))) {
                continue; // the optional header of HF-saved files, and a trailing empty line
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException("GPT-2 merges " + mergesFile + " line " + lineNo + " '" + line
                        + "' is not two symbols separated by one space");
            }
            if (!vocab.containsKey(parts[0] + parts[1])) {
                throw new IllegalArgumentException("GPT-2 merges " + mergesFile + " line " + lineNo + " merges into '"
                        + parts[0] + parts[1] + "', which is not in " + vocabFile);
            }
            mergeRank.putIfAbsent(parts[0] + ' ' + parts[1], mergeRank.size());
        }
        return new Gpt2BpeTokenizer(directory, vocab, tokenOfId, mergeRank);
    }

    @Override
    public int[] encode(String text) {
        if (text == null) {
            throw new IllegalArgumentException("text to encode is null");
        }
        IntList out = new IntList(text.length() / 3 + 16);
        Matcher matcher = PRE_TOKENIZER.matcher(text);
        int end = 0;
        while (matcher.find()) {
            if (matcher.start() != end) {
                // Cannot happen: the last alternatives match any char; guards the round-trip guarantee.
                throw new IllegalStateException("GPT-2 pre-tokenizer skipped text at offset " + end);
            }
            end = matcher.end();
            out.addAll(encodeWord(matcher.group()));
        }
        if (end != text.length()) {
            throw new IllegalStateException("GPT-2 pre-tokenizer stopped at offset " + end + " of " + text.length());
        }
        return out.toArray();
    }

    private int[] encodeWord(String word) {
        int[] ids = wordCache.get(word);
        if (ids == null) {
            ids = bpe(word);
            if (wordCache.size() >= CACHE_LIMIT) {
                wordCache.clear(); // the cache only saves time; keep memory bounded
            }
            wordCache.put(word, ids);
        }
        return ids;
    }

    /** Byte-level BPE of one pre-token: repeatedly merge every occurrence of the lowest-ranked adjacent pair. */
    private int[] bpe(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        List<String> symbols = new ArrayList<>(bytes.length);
        for (byte b : bytes) {
            symbols.add(String.valueOf(BYTE_TO_CHAR[b & 0xFF]));
        }
        while (symbols.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String first = null;
            String second = null;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer rank = mergeRank.get(symbols.get(i) + ' ' + symbols.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    first = symbols.get(i);
                    second = symbols.get(i + 1);
                }
            }
            if (first == null) {
                break;
            }
            List<String> merged = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(first) && symbols.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(symbols.get(i));
                }
            }
            symbols = merged;
        }
        int[] ids = new int[symbols.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = idOfToken.get(symbols.get(i));
            if (id == null) {
                throw new IllegalStateException("GPT-2 vocabulary in " + directory + " lacks symbol '"
                        + symbols.get(i) + "' (a single byte or a merge result)");
            }
            ids[i] = id;
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        if (ids == null) {
            throw new IllegalArgumentException("ids to decode are null");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            out.writeBytes(pieceBytes(-1, id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The bytes a token stands for; byte-level BPE has no context, so {@code previousId} is ignored. */
    @Override
    public byte[] pieceBytes(int previousId, int id) {
        if (id < 0 || id >= tokenOfId.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the " + tokenOfId.length
                    + "-token GPT-2 vocabulary of " + directory);
        }
        String token = tokenOfId[id];
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) CHAR_TO_BYTE[token.charAt(i)];
        }
        return bytes;
    }

    /** The vocabulary entry of {@code id} in its byte-alphabet spelling (e.g. "Ġthe"). */
    public String token(int id) {
        if (id < 0 || id >= tokenOfId.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the GPT-2 vocabulary of " + directory);
        }
        return tokenOfId[id];
    }

    @Override
    public int vocabSize() {
        return tokenOfId.length;
    }

    @Override
    public String kind() {
        return "gpt2-bpe";
    }

    @Override
    public void close() {
        wordCache.clear();
    }

    @Override
    public String toString() {
        return "Gpt2BpeTokenizer[" + directory + ", " + tokenOfId.length + " tokens]";
    }
}
