package dev.prunelab.integration.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.pruning.graph.GraphBuilder;
import dev.prunelab.pruning.graph.InitializerStore;
import dev.prunelab.pruning.graph.WeightFormat;
import dev.prunelab.vocabulary.ExecutionProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoder's KV cache is one set of buffers written in place: each pass writes at the cache's length and
 * advances it, so a reused cache (another window, another choice after a shared prefix) gives what a fresh one
 * gives, and its capacity is a limit.
 */
class InPlaceCacheTest {
    /** One intra-op thread: the outputs compared here do not depend on the machine's cores or their load. */
    static final RuntimeOptions ONE_THREAD = new RuntimeOptions(ExecutionProvider.CPU, 1);

    @RegisterExtension
    static final ExportedStories260K STORIES = new ExportedStories260K();
    @TempDir
    static Path temp;

    private static long[] tokens(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] ids = new long[count];
        for (int i = 0; i < count; i++) {
            ids[i] = 3 + random.nextInt(500);
        }
        return ids;
    }

    private static long[] ones(int count) {
        long[] mask = new long[count];
        Arrays.fill(mask, 1L);
        return mask;
    }

    private static long[] range(int from, int count) {
        long[] positions = new long[count];
        for (int i = 0; i < count; i++) {
            positions[i] = from + i;
        }
        return positions;
    }

    /** Logits of a 24-token prefill and 6 decode steps, in the given cache (emptied first). */
    private static float[][] run(DecoderSession session, KvCache cache, long[] prompt) {
        cache.truncate(0);
        float[][] logits = new float[7][];
        try (DecoderSession.Step step = session.forward(prompt, ones(prompt.length), range(0, prompt.length), 1, cache)) {
            logits[0] = step.logitsAt(0, prompt.length - 1);
        }
        try (DecoderSession.DecodeBuffers buffers = session.decodeBuffers(1)) {
            for (int s = 1; s < 7; s++) {
                long token = 3 + s * 17L;
                logits[s] = session.decode(new long[] {token}, cache, buffers).logitsAt(0, 0);
            }
        }
        return logits;
    }

    @Test
    void aReusedCacheGivesExactlyTheLogitsOfAFreshOne() {
        try (DecoderSession session = DecoderSession.open(STORIES.directory(), ONE_THREAD);
             KvCache fresh = session.newCache(1, 40);
             KvCache reused = session.newCache(1, 40)) {
            // fill every slot of the reused cache with another sequence's keys and values first
            run(session, reused, tokens(33, 1));
            assertEquals(33 + 6, reused.length());
            long[] prompt = tokens(24, 2);
            float[][] expected = run(session, fresh, prompt);
            float[][] again = run(session, reused, prompt);
            for (int s = 0; s < expected.length; s++) {
                assertArrayEquals(expected[s], again[s], "step " + s);
            }
            // a shared prefix: cut back to it, a different continuation, then the first again
            reused.truncate(24);
            session.forward(tokens(3, 3), ones(27), range(24, 3), 1, reused).close();
            assertEquals(27, reused.length());
            reused.truncate(24);
            try (DecoderSession.DecodeBuffers buffers = session.decodeBuffers(1)) {
                assertArrayEquals(expected[1], session.decode(new long[] {3 + 17}, reused, buffers).logitsAt(0, 0));
            }
        }
    }

    @Test
    void aCacheRefusesPositionsBeyondItsCapacityAndTheContext() {
        try (DecoderSession session = DecoderSession.open(STORIES.directory(), ONE_THREAD);
             KvCache cache = session.newCache(1, 8)) {
            IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                    () -> session.forward(tokens(9, 4), ones(9), range(0, 9), 1, cache));
            assertEquals("9 new positions after 0 do not fit a cache of 8", tooLong.getMessage());
            assertEquals(0, cache.length(), "a refused pass writes nothing");
            session.forward(tokens(8, 4), ones(8), range(0, 8), 1, cache).close();
            try (DecoderSession.DecodeBuffers buffers = session.decodeBuffers(1)) {
                IllegalArgumentException full = assertThrows(IllegalArgumentException.class,
                        () -> session.decode(new long[] {5}, cache, buffers));
                assertTrue(full.getMessage().contains("cache of 8 positions"), full.getMessage());
            }
            int context = session.card().contextLength();
            IllegalArgumentException beyond = assertThrows(IllegalArgumentException.class,
                    () -> session.newCache(1, context + 1));
            assertEquals("a cache of " + (context + 1) + " positions exceeds the model's context of " + context,
                    beyond.getMessage());
        }
    }

    /**
     * A graph with the contract before the in-place cache (past [batch, kv_heads, past, head_dim], no write index):
     * refused by name, with what to do, instead of an ONNX Runtime shape error mid-evaluation.
     */
    @Test
    void aModelExportedBeforeTheInPlaceCacheIsRefusedWithAnExportHint() throws Exception {
        Path old = temp.resolve("old-contract");
        Files.createDirectories(old);
        Files.copy(STORIES.directory().resolve(DecoderIo.MODEL_CARD_FILE), old.resolve(DecoderIo.MODEL_CARD_FILE));
        GraphBuilder g = new GraphBuilder("decoder", new InitializerStore(new WeightFormat(false, false), null));
        OnnxMl.TensorProto.DataType int64 = OnnxMl.TensorProto.DataType.INT64;
        OnnxMl.TensorProto.DataType float32 = OnnxMl.TensorProto.DataType.FLOAT;
        g.input(DecoderIo.INPUT_IDS, int64, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
        g.input(DecoderIo.ATTENTION_MASK, int64, DecoderIo.BATCH_AXIS, DecoderIo.TOTAL_SEQUENCE_AXIS);
        g.input(DecoderIo.POSITION_IDS, int64, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
        g.input(DecoderIo.pastKey(0), float32, DecoderIo.BATCH_AXIS, 4, "past_sequence_length", 8);
        g.nodeTo("Cast", "/logits/Cast", new String[] {DecoderIo.INPUT_IDS}, new String[] {DecoderIo.LOGITS},
                GraphBuilder.intAttribute("to", float32.getNumber()));
        g.output(DecoderIo.LOGITS, float32, DecoderIo.BATCH_AXIS, DecoderIo.SEQUENCE_AXIS);
        g.nodeTo("Identity", "/present/Identity", new String[] {DecoderIo.pastKey(0)},
                new String[] {DecoderIo.presentKey(0)});
        g.output(DecoderIo.presentKey(0), float32, DecoderIo.BATCH_AXIS, 4, "total_sequence_length", 8);
        Files.write(old.resolve(DecoderIo.MODEL_FILE), OnnxMl.ModelProto.newBuilder()
                .setIrVersion(GraphBuilder.IR_VERSION)
                .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(23))
                .setGraph(g.build()).build().toByteArray());

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> DecoderSession.open(old, ONE_THREAD));
        assertEquals(old.resolve(DecoderIo.MODEL_FILE) + ": the graph has no cache_write_indices input: it was "
                + "exported by an older version of the lab (a KV cache copied every step); export it again with "
                + "'./lab export' or './lab prune'", refused.getMessage());
    }
}
