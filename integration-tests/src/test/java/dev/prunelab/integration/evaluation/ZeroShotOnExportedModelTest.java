package dev.prunelab.integration.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.evaluation.quality.LogSoftmax;
import dev.prunelab.evaluation.report.ModelTokenizer;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.KvCache;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.evaluation.zeroshot.EncodedRequest;
import dev.prunelab.evaluation.zeroshot.Loglikelihood;
import dev.prunelab.evaluation.zeroshot.OnnxLoglikelihoodScorer.Strategy;
import dev.prunelab.evaluation.zeroshot.OnnxLoglikelihoodScorer;
import dev.prunelab.evaluation.zeroshot.Request;
import dev.prunelab.evaluation.zeroshot.ZeroShotItem;
import dev.prunelab.evaluation.zeroshot.ZeroShotTask;
import dev.prunelab.pruning.checkpoint.CheckpointSynthesizer;
import dev.prunelab.pruning.checkpoint.ModelLoader;
import dev.prunelab.pruning.checkpoint.SynthesisPreset;
import dev.prunelab.pruning.export.DecoderExporter;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.pruning.model.DType;
import dev.prunelab.pruning.model.LoadedModel;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.text.tokenizer.TextTokenizer;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.WeightDtype;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The zero-shot scorer on real exported graphs: a continuation's log-likelihood is the same whether its
 * choices run in one right-padded batch, from a shared KV-cached prefix, or alone at batch 1 with a plain
 * softmax over the full logits.
 */
class ZeroShotOnExportedModelTest {
    /** One intra-op thread: the outputs compared here do not depend on the machine's cores or their load. */
    static final RuntimeOptions ONE_THREAD = new RuntimeOptions(ExecutionProvider.CPU, 1);

    static final double TOLERANCE = 1e-4;

    @RegisterExtension
    static final ExportedStories260K STORIES = new ExportedStories260K();
    @TempDir
    Path temp;

    @Test
    void stories260KScoresTheSameBatchedFromACachedPrefixAndAlone() throws Exception {
        Path exported = STORIES.directory();
        try (DecoderSession session = DecoderSession.open(exported, ONE_THREAD);
             TextTokenizer tokenizer = ModelTokenizer.open(session)) {
            List<ZeroShotItem> items = new ArrayList<>(ZeroShotTask.HELLASWAG.load(SharedData.path("eval"), 3));
            items.addAll(ZeroShotTask.WINOGRANDE.load(SharedData.path("eval"), 2));   // contexts differ per choice
            items.addAll(ZeroShotTask.COPA.load(SharedData.path("eval"), 2));
            OnnxLoglikelihoodScorer batched = new OnnxLoglikelihoodScorer(session, tokenizer, Strategy.BATCHED);
            OnnxLoglikelihoodScorer prefix = new OnnxLoglikelihoodScorer(session, tokenizer, Strategy.SHARED_PREFIX);
            OnnxLoglikelihoodScorer auto = new OnnxLoglikelihoodScorer(session, tokenizer, Strategy.AUTO);
            double maxDifference = 0;
            for (ZeroShotItem item : items) {
                List<Loglikelihood> inBatch = batched.score(item.requests());
                List<Loglikelihood> fromPrefix = prefix.score(item.requests());
                List<Loglikelihood> chosen = auto.score(item.requests());
                for (int i = 0; i < item.requests().size(); i++) {
                    Request request = item.requests().get(i);
                    EncodedRequest encoded = EncodedRequest.encode(tokenizer, request, session.card().bosTokenId(),
                            session.card().eosTokenId(), session.card().contextLength());
                    double alone = alone(session, encoded);
                    maxDifference = Math.max(maxDifference, Math.abs(alone - inBatch.get(i).logLikelihood()));
                    maxDifference = Math.max(maxDifference, Math.abs(alone - fromPrefix.get(i).logLikelihood()));
                    maxDifference = Math.max(maxDifference, Math.abs(alone - chosen.get(i).logLikelihood()));
                    assertEquals(inBatch.get(i).greedy(), fromPrefix.get(i).greedy());
                    assertEquals(encoded.continuationLength(), inBatch.get(i).tokens());
                }
            }
            System.out.printf("ZEROSHOT stories260K max |log-likelihood difference| batched/prefix vs alone = %.2e%n",
                    maxDifference);
            assertTrue(maxDifference <= TOLERANCE, "max difference " + maxDifference);
        }
    }

    @Test
    void paddedRowsAreExactOnOptWithLearnedPositionsAndOnLlamaWithGroupedQueries() throws Exception {
        for (SynthesisPreset preset : new SynthesisPreset[] {SynthesisPreset.TINY_OPT, SynthesisPreset.TINY_LLAMA_GQA}) {
            Path checkpoint = temp.resolve(preset.name() + "-checkpoint");
            Path exported = temp.resolve(preset.name() + "-onnx");
            CheckpointSynthesizer.write(checkpoint, preset, DType.F32, 5);
            try (LoadedModel model = ModelLoader.open(checkpoint, Optional.empty())) {
                DecoderExporter.export(model, exported, WeightDtype.FLOAT32);
            }
            try (DecoderSession session = DecoderSession.open(exported, ONE_THREAD)) {
                int vocab = session.card().vocabSize();
                SplittableRandom random = new SplittableRandom(17);
                // one shared 9-token prefix, continuations of 1, 4 and 7 tokens: rows padded by 6, 3 and 0
                int[] prefixTokens = random.ints(9, 3, vocab).toArray();
                List<EncodedRequest> requests = new ArrayList<>();
                for (int continuation : new int[] {1, 4, 7}) {
                    int[] tokens = new int[prefixTokens.length + continuation];
                    System.arraycopy(prefixTokens, 0, tokens, 0, prefixTokens.length);
                    for (int t = prefixTokens.length; t < tokens.length; t++) {
                        tokens[t] = 3 + random.nextInt(vocab - 3);
                    }
                    requests.add(new EncodedRequest(tokens, continuation));
                }
                List<Loglikelihood> inBatch = new OnnxLoglikelihoodScorer(session, null, Strategy.BATCHED)
                        .scoreEncoded(requests);
                List<Loglikelihood> fromPrefix = new OnnxLoglikelihoodScorer(session, null, Strategy.SHARED_PREFIX)
                        .scoreEncoded(requests);
                for (int i = 0; i < requests.size(); i++) {
                    double alone = alone(session, requests.get(i));
                    assertEquals(alone, inBatch.get(i).logLikelihood(), TOLERANCE, preset + " row " + i + " batched");
                    assertEquals(alone, fromPrefix.get(i).logLikelihood(), TOLERANCE, preset + " row " + i + " prefix");
                }
            }
        }
    }

    /** Sum of log-softmax of the continuation tokens from one unpadded batch-1 pass, in double precision. */
    static double alone(DecoderSession session, EncodedRequest request) {
        int[] tokens = request.tokens();
        int length = tokens.length - 1;
        long[] ids = new long[length];
        long[] mask = new long[length];
        long[] positions = new long[length];
        for (int t = 0; t < length; t++) {
            ids[t] = tokens[t];
            mask[t] = 1;
            positions[t] = t;
        }
        double sum = 0;
        try (KvCache cache = session.newCache(1, ids.length);
             DecoderSession.Step step = session.forward(ids, mask, positions, 1, cache)) {
            for (int j = tokens.length - request.continuationLength(); j < tokens.length; j++) {
                float[] row = step.logitsAt(0, j - 1);
                double max = row[LogSoftmax.argmax(row)];
                double total = 0;
                for (float logit : row) {
                    total += Math.exp(logit - max);
                }
                sum += row[tokens[j]] - max - Math.log(total);
            }
        }
        return sum;
    }
}
