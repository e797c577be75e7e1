package dev.prunelab.cli;

import dev.prunelab.evaluation.generate.GreedyGenerator;
import dev.prunelab.evaluation.report.ModelTokenizer;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.text.tokenizer.TextTokenizer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Greedy generation with the KV cache from a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "text to continue")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "64", paramLabel = "N",
            description = "new tokens at most (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Override
    public Integer call() {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be positive, was " + maxTokens);
        }
        try (DecoderSession session = DecoderSession.open(modelOptions.model, modelOptions.runtimeOptions());
             TextTokenizer tokenizer = ModelTokenizer.open(session)) {
            int[] prompted = ModelTokenizer.withBos(session.card(), tokenizer.encode(prompt));
            long start = System.nanoTime();
            List<Integer> generated = GreedyGenerator.generate(session, prompted, maxTokens, token -> { });
            double seconds = (System.nanoTime() - start) / 1e9;
            int[] all = new int[generated.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = generated.get(i);
            }
            System.out.println(prompt + ModelTokenizer.continuation(tokenizer, tokenizer.encode(prompt), all));
            System.err.printf("%d tokens in %.2f s (%.1f tokens/s, %s)%n", all.length, seconds, all.length / seconds,
                    session.cudaDevice() < 0 ? session.providerUsed() : "cuda device " + session.cudaDevice());
        }
        return 0;
    }
}
