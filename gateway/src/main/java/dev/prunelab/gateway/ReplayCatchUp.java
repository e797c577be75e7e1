package dev.prunelab.gateway;

import java.util.Map;
import java.util.TreeMap;

/**
 * Whether the gateway has read its topics up to the end offsets they had when it started. Until then its state is
 * a partial replay and it answers no query (readiness DOWN, the API 503).
 *
 * <p>{@link #target} records, per partition, the offsets [begin, end) that existed at start; {@link #consumed}
 * the offset of every record processed. Caught up = every partition with records has had offset end − 1 processed
 * (a partition read from its beginning sees every offset up to the end, compacted gaps aside, and the last record
 * of a log is never compacted away). Once caught up it stays so.
 */
public final class ReplayCatchUp {

    private Map<String, Long> lastOffsets; // "topic/partition" -> end - 1; null until targeted
    private final Map<String, Long> consumed = new TreeMap<>();
    private boolean caughtUp;

    /** One partition's offsets at start: the first still stored and the next to be written. */
    public synchronized void target(Map<String, long[]> beginEndByPartition) {
        Map<String, Long> last = new TreeMap<>();
        beginEndByPartition.forEach((partition, beginEnd) -> {
            if (beginEnd[1] > beginEnd[0]) {
                last.put(partition, beginEnd[1] - 1);
            }
        });
        lastOffsets = last;
    }

    /** Nothing to replay (no broker: the in-memory connector of the tests). */
    public synchronized void skip() {
        lastOffsets = Map.of();
    }

    public synchronized void consumed(String topic, int partition, long offset) {
        consumed.merge(key(topic, partition), offset, Math::max);
    }

    public synchronized boolean caughtUp() {
        if (!caughtUp && lastOffsets != null) {
            caughtUp = lastOffsets.entrySet().stream()
                    .allMatch(e -> consumed.getOrDefault(e.getKey(), -1L) >= e.getValue());
        }
        return caughtUp;
    }

    /** One line for the readiness check and the 503 answers. */
    public synchronized String describe() {
        if (lastOffsets == null) {
            return "reading the topics' end offsets from Kafka";
        }
        long done = lastOffsets.entrySet().stream()
                .filter(e -> consumed.getOrDefault(e.getKey(), -1L) >= e.getValue()).count();
        return (caughtUp() ? "caught up with " : "replaying: ") + done + " of " + lastOffsets.size()
                + " partitions with records read to their end offsets at start";
    }

    public static String key(String topic, int partition) {
        return topic + "/" + partition;
    }
}
