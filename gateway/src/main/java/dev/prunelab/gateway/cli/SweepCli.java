package dev.prunelab.gateway.cli;

import dev.prunelab.console.CommandLines;
import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.EnergySpec;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.LatencySpec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.StructuredSweep;
import dev.prunelab.events.SweepRequest;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.RunStatus;
import dev.prunelab.gateway.SweepView;
import dev.prunelab.vocabulary.CalibrationDefaults;
import dev.prunelab.vocabulary.EnergyWorkloadDefaults;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightBits;
import dev.prunelab.vocabulary.WeightDtype;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./lab sweep}: submits a sweep to the gateway, prints one line per change of a run until every run is done,
 * failed or cancelled, then the joined results table and the recommendation. Plain Java (HttpClient, Jackson,
 * picocli): it runs on the gateway module's classpath without starting Quarkus.
 *
 * <p>Exit 0 when every run finished, 1 when any failed or was cancelled (or the gateway could not be reached, or
 * the timeout passed), 2 on bad arguments or a sweep the gateway refused.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true, version = "prune-lab 0.1.0", sortOptions = false,
        description = "Submit a sweep (methods x sparsities/patterns/structured ratios) to the gateway, follow it, "
                + "and print the joined results, the Pareto front and the recommendation.")
public final class SweepCli implements Callable<Integer> {

    static final DateTimeFormatter SWEEP_ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    /** Where the bearer token for the gateway comes from (./lab sweep sets it from $LAB_HOME/api-token). */
    static final String API_TOKEN_VARIABLE = "PRUNELAB_API_TOKEN";

    @Option(names = "--gateway", paramLabel = "URL", defaultValue = "http://localhost:${env:LAB_GATEWAY_PORT:-8080}",
            description = "The gateway's base URL (default: ${DEFAULT-VALUE}; ./lab sweep sets LAB_GATEWAY_PORT to the "
                    + "port ./lab up recorded).")
    String gateway;

    @Option(names = "--model", paramLabel = "PATH", required = true,
            description = "llama2.c checkpoint or Hugging Face directory (on the services' filesystem).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer file (default: beside the checkpoint).")
    Path tokenizer;

    @Option(names = "--methods", paramLabel = "METHOD", split = ",", required = true,
            description = "Comma-separated: magnitude, wanda, sparsegpt, ria, structured.")
    List<PruneMethod> methods;

    @Option(names = "--sparsities", paramLabel = "S", split = ",", description = "Unstructured sparsities in [0, 1), e.g. 0.3,0.5,0.7.")
    List<Double> sparsities;

    @Option(names = "--patterns", paramLabel = "N:M", split = ",", description = "N:M patterns, e.g. 2:4,4:8.")
    List<String> patterns;

    @Option(names = "--targets", paramLabel = "T", split = ",", description = "Structured targets: mlp, heads, blocks, mlp+heads.")
    List<StructuredTarget> targets;

    @Option(names = "--ratios", paramLabel = "R", split = ",", description = "Structured ratios in [0, 1).")
    List<Double> ratios;

    @Option(names = "--scores", paramLabel = "SCORE", split = ",",
            description = "Structured scores: magnitude, wanda-sp, flap, block-influence.")
    List<StructuredScore> scores;

    @Option(names = "--allocation", paramLabel = "uniform|global|owl|search", description = "Structured allocation (default uniform).")
    StructuredAllocation allocation;

    @Option(names = "--layer-sparsity", paramLabel = "uniform|owl|search", description = "Unstructured layer allocation (default uniform).")
    LayerSparsity layerSparsity;

    @Option(names = "--dtype", paramLabel = "f32|f16", description = "Exported weight storage (default f32).")
    WeightDtype dtype;

    @Option(names = "--refine", paramLabel = "none|dsnot", split = ",",
            description = "Unstructured and N:M runs once per refinement, e.g. none,dsnot (default none).")
    List<MaskRefinement> refinements;

    @Option(names = "--weight-bits", paramLabel = "32|4", split = ",",
            description = "Every run once per weight width: 32 (float) or 4 (int4 MatMulNBits linear layers), e.g. "
                    + "32,4 (default " + WeightBits.FLOAT_IN_A_LIST + ").")
    List<Integer> weightBits;

    @Option(names = "--weight-block", paramLabel = "B",
            description = "Weights per int4 scale (default " + WeightBits.DEFAULT_BLOCK + ").")
    Integer weightBlock;

    @Option(names = "--no-dense", description = "Do not add the dense reference run (magnitude at sparsity 0) that "
            + "the recommendation's limit and the speed-ups are relative to.")
    boolean noDense;

    @Option(names = "--calibration", paramLabel = "FILE", description = "Calibration text (default: the pruner's).")
    Path calibration;

    @Option(names = "--samples", paramLabel = "N",
            description = "Calibration windows (default " + CalibrationDefaults.SAMPLES + ").")
    Integer samples;

    @Option(names = "--window", paramLabel = "W", description = "Tokens per calibration window.")
    Integer window;

    @Option(names = "--seed", paramLabel = "S",
            description = "Calibration offsets' seed (default " + CalibrationDefaults.SEED + ").")
    Long seed;

    @Option(names = "--eval-windows", paramLabel = "N", description = "Perplexity: at most N windows scored.")
    Integer evalWindows;

    @Option(names = "--eval-window", paramLabel = "W", description = "Perplexity: tokens per window (default: the model's context).")
    Integer evalWindow;

    @Option(names = "--latency", description = "Also measure latency (32 prompt tokens, 16 new, batch 1, 3 repeats).")
    boolean latency;

    @Option(names = "--no-energy", description = "Leave out the energy stage (J/token and speed with intervals, "
            + "measured in the host's exclusive window) that every run gets by default.")
    boolean noEnergy;

    @Option(names = "--energy-prompt-tokens", paramLabel = "P",
            description = "Energy stage: prompt tokens (default " + EnergyWorkloadDefaults.PROMPT_TOKENS + ").")
    Integer energyPromptTokens;

    @Option(names = "--energy-decode-tokens", paramLabel = "N",
            description = "Energy stage: decode steps (default " + EnergyWorkloadDefaults.DECODE_TOKENS + ").")
    Integer energyDecodeTokens;

    @Option(names = "--energy-batch", paramLabel = "B",
            description = "Energy stage: batch (default " + EnergyWorkloadDefaults.BATCH + ").")
    Integer energyBatch;

    @Option(names = "--energy-repeats", paramLabel = "R",
            description = "Energy stage: recorded repeats, >= " + EnergyWorkloadDefaults.MIN_REPEATS + " (default "
                    + EnergyWorkloadDefaults.REPEATS + ").")
    Integer energyRepeats;

    @Option(names = "--provider", paramLabel = "cpu|cuda|auto", description = "ONNX Runtime provider (default cpu).")
    ExecutionProvider provider;

    @Option(names = "--eval-threads", paramLabel = "N", defaultValue = "1",
            description = "ONNX Runtime intra-op threads of every evaluation (default: ${DEFAULT-VALUE}: one core per "
                    + "model gives the narrowest intervals and the least energy per token at batch 1; 0 = one per core).")
    int evalThreads;

    @Option(names = "--sweep-id", paramLabel = "ID", description = "Sweep id (default: sweep-<UTC time>).")
    String sweepId;

    @Option(names = "--max-ppl-increase", paramLabel = "X", defaultValue = "0.10",
            description = "Recommendation limit: perplexity at most X above dense (default: ${DEFAULT-VALUE}).")
    double maxPerplexityIncrease;

    @Option(names = "--min-speedup", paramLabel = "S",
            description = "Recommendation limit: decode speed-up against dense, its lower 95%% bound, at least S.")
    Double minSpeedup;

    @Option(names = "--max-memory-mb", paramLabel = "MB",
            description = "Recommendation limit: the evaluator's peak resident memory for the run at most MB MiB.")
    Double maxMemoryMb;

    @Option(names = "--emissions", paramLabel = "CSV",
            description = "Write the sweep's energy as CodeCarbon's emissions.csv (one row per run) here.")
    Path emissions;

    @Option(names = "--json", paramLabel = "OUT", description = "Write the final sweep (as the gateway returns it) here.")
    Path json;

    @Option(names = "--timeout-minutes", paramLabel = "M", defaultValue = "120",
            description = "Give up waiting after M minutes (default: ${DEFAULT-VALUE}); the sweep goes on.")
    long timeoutMinutes;

    @Option(names = "--poll-millis", hidden = true, defaultValue = "1000")
    long pollMillis;

    /** Opens the client for a base URL and an API token (or null). */
    @FunctionalInterface
    interface Clients {
        GatewayClient open(String baseUrl, String apiToken);
    }

    /** {@link GatewayClient} over HTTP; tests pass one whose transport they control. */
    private final Clients clients;

    public SweepCli() {
        this(GatewayClient::new);
    }

    SweepCli(Clients clients) {
        this.clients = clients;
    }

    public static void main(String[] args) {
        quietJdkLogging();
        System.exit(run(args));
    }

    /**
     * The module's runtime classpath carries JBoss LogManager (Quarkus's), which registers itself as the JDK's
     * System.LoggerFinder and complains on stderr when the HTTP client asks for a logger unless it is also the
     * java.util.logging manager. Only when it is there and nothing else was chosen.
     */
    static void quietJdkLogging() {
        String manager = "org.jboss.logmanager.LogManager";
        if (System.getProperty("java.util.logging.manager") == null
                && SweepCli.class.getClassLoader().getResource(manager.replace('.', '/') + ".class") != null) {
            System.setProperty("java.util.logging.manager", manager);
        }
    }

    public static int run(String... args) {
        return CommandLines.of(new SweepCli()).execute(args);
    }

    /** The sweep these options describe; validation problems are IllegalArgumentExceptions naming the field. */
    SweepRequest request(Instant now) {
        constraints(); // refuses bad limits before anything is submitted
        StructuredSweep structured = targets == null && ratios == null && scores == null && allocation == null
                ? null : new StructuredSweep(targets, ratios, scores, allocation, null);
        if (structured == null && methods != null && methods.contains(PruneMethod.STRUCTURED)) {
            throw new InvalidSetting("targets", "is missing: method structured needs --targets, --ratios and --scores");
        }
        CalibrationSpec calibrationSpec = calibration == null && samples == null && window == null && seed == null
                ? null : new CalibrationSpec(absolute(calibration), samples, window, seed);
        PerplexitySpec perplexity = evalWindows == null && evalWindow == null
                ? null : new PerplexitySpec(null, null, evalWindow, evalWindows);
        if (perplexity == null && latency) {
            perplexity = new PerplexitySpec(null, null, null, null); // latency alone would drop the perplexity
        }
        if (perplexity == null && !noEnergy) {
            perplexity = new PerplexitySpec(null, null, null, null); // energy alone would drop the perplexity
        }
        EnergySpec energy = noEnergy ? null : new EnergySpec(energyPromptTokens, energyDecodeTokens, energyBatch,
                energyRepeats, null, null);
        EvaluationSpec evaluation = new EvaluationSpec(perplexity, null,
                latency ? new LatencySpec(32, 16, List.of(1), 3) : null, energy, provider,
                evalThreads == 0 ? null : evalThreads);
        String id = sweepId != null ? sweepId : "sweep-" + SWEEP_ID_TIME.format(now);
        return new SweepRequest(id, new ModelRef(absolute(model), absolute(tokenizer)), methods, sparsities, patterns,
                structured, calibrationSpec, List.of(evaluation), layerSparsity, dtype, noDense ? false : null,
                refinements, weightBits, weightBlock);
    }

    /** The recommendation's constraints from the options; a bad one is an IllegalArgumentException naming its flag. */
    Constraints constraints() {
        try {
            return new Constraints(maxPerplexityIncrease, minSpeedup, maxMemoryMb);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("maxPerplexityIncrease", "--max-ppl-increase")
                    .replace("minSpeedup", "--min-speedup").replace("maxMemoryMb", "--max-memory-mb"));
        }
    }

    /** One POST to the gateway. */
    @FunctionalInterface
    interface Post {
        GatewayClient.Reply send() throws IOException, InterruptedException;
    }

    /**
     * Submits until the gateway is ready (a 503 while it rebuilds its state is retried until {@code deadline}).
     *
     * @return the 202 reply; null after printing why when it was refused for its token or answered otherwise
     * @throws IllegalArgumentException a 4xx other than 401: the gateway's reason (a bad request, exit code 2)
     */
    static GatewayClient.Reply submit(Post post, String what, Instant deadline, long pollMillis, PrintWriter out,
                                      PrintWriter err) throws IOException, InterruptedException {
        GatewayClient.Reply submitted = post.send();
        while (submitted.status() == 503 && Instant.now().isBefore(deadline)) {
            out.println("gateway not ready: " + submitted.error());
            out.flush();
            Thread.sleep(Math.max(pollMillis, 1000));
            submitted = post.send();
        }
        if (submitted.status() == 401) {
            err.println("error: the gateway refused the " + what + " (401): set " + API_TOKEN_VARIABLE + " to its API "
                    + "token (./lab " + what + " reads $LAB_HOME/api-token, which ./lab up writes)");
            return null;
        }
        if (submitted.status() / 100 == 4) {
            throw new IllegalArgumentException(submitted.error());
        }
        if (submitted.status() != 202) {
            err.println("error: the gateway answered " + submitted.status() + ": " + submitted.error());
            return null;
        }
        return submitted;
    }

    /** Writes the gateway's JSON answer pretty-printed to {@code file} (nothing when it is null) and says so. */
    static void write(Path file, String body, PrintWriter out) throws IOException {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, SweepJson.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsString(SweepJson.MAPPER.readTree(body)) + "\n");
        out.println("wrote " + file);
    }

    private static String absolute(Path path) {
        return path == null ? null : path.toAbsolutePath().normalize().toString();
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        SweepRequest sweep = request(Instant.now());
        GatewayClient client = clients.open(gateway, System.getenv(API_TOKEN_VARIABLE));
        Instant deadline = Instant.now().plus(Duration.ofMinutes(timeoutMinutes));
        try {
            String body = new EventCodec().encode(sweep);
            GatewayClient.Reply submitted = submit(() -> client.submitSweep(body), "sweep", deadline, pollMillis,
                    out, err);
            if (submitted == null) {
                return 1;
            }
            out.println("submitted sweep " + sweep.sweepId() + " to " + gateway + ": "
                    + SweepJson.MAPPER.readTree(submitted.body()).path("runIds").size() + " runs");
            out.flush();
            return follow(client, sweep.sweepId(), deadline, out, err);
        } catch (GatewayClient.UnreachableException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private int follow(GatewayClient client, String id, Instant deadline, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        ProgressLines progress = new ProgressLines();
        while (true) {
            GatewayClient.Reply reply = client.sweep(id, constraints());
            if (reply.status() == 200) {
                SweepView view = GatewayClient.parse(reply.body());
                progress.update(view).forEach(out::println);
                out.flush();
                if (view.finished()) {
                    out.println();
                    out.print(SweepTable.format(view));
                    write(json, reply.body(), out);
                    if (emissions != null) {
                        GatewayClient.Reply csv = client.emissions(id);
                        if (csv.status() != 200) {
                            err.println("error: emissions.csv: the gateway answered " + csv.status() + ": " + csv.error());
                            return 1;
                        }
                        Path parent = emissions.toAbsolutePath().getParent();
                        if (parent != null) {
                            Files.createDirectories(parent);
                        }
                        Files.writeString(emissions, csv.body());
                        out.println("wrote " + emissions);
                    }
                    out.flush();
                    return view.runs().stream().allMatch(r -> r.status() == RunStatus.DONE)
                            ? 0 : 1;
                }
            } else if (reply.status() != 503 && reply.status() != 404) {
                err.println("error: the gateway answered " + reply.status() + ": " + reply.error());
                return 1;
            }
            if (!Instant.now().isBefore(deadline)) {
                err.println("error: timed out after " + timeoutMinutes + " minutes; the sweep goes on (GET /api/sweeps/"
                        + id + ")");
                return 1;
            }
            Thread.sleep(pollMillis);
        }
    }

}
