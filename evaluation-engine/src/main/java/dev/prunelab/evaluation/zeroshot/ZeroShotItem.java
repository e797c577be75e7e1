package dev.prunelab.evaluation.zeroshot;

import java.util.List;

/**
 * One task item: its choices as requests and the index of the right one. For LAMBADA there is one request
 * (the context and its target word) and {@code gold} is 0.
 *
 * @param normalizationLengths per choice, the length in characters (Unicode code points, as Python's
 *                             {@code len}) that {@code acc_norm} divides the log-likelihood by: the choice
 *                             text without the target delimiter, as lm-evaluation-harness does
 * @param line                 1-based line of the item in its file (first line of a hellaswag record)
 */
public record ZeroShotItem(List<Request> requests, int gold, int[] normalizationLengths, int line) {
    public ZeroShotItem {
        requests = List.copyOf(requests);
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("an item has at least one request");
        }
        if (gold < 0 || gold >= requests.size()) {
            throw new IllegalArgumentException("gold " + gold + " outside 0.." + (requests.size() - 1));
        }
        if (normalizationLengths.length != requests.size()) {
            throw new IllegalArgumentException("one normalization length per choice");
        }
        normalizationLengths = normalizationLengths.clone();
    }

    /** The usual case: the choice's text is its continuation after the one-character delimiter " ". */
    static ZeroShotItem ofChoices(List<Request> requests, int gold, String delimiter, int line) {
        int[] lengths = new int[requests.size()];
        for (int i = 0; i < lengths.length; i++) {
            String continuation = requests.get(i).continuation();
            String choice = continuation.startsWith(delimiter) ? continuation.substring(delimiter.length()) : continuation;
            lengths[i] = Math.max(1, choice.codePointCount(0, choice.length()));
        }
        return new ZeroShotItem(requests, gold, lengths, line);
    }
}
