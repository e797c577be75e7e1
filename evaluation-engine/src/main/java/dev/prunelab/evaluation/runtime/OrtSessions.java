package dev.prunelab.evaluation.runtime;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.prunelab.measure.ThreadPolicy;
import dev.prunelab.modelformat.DecoderIo;
import dev.prunelab.modelformat.ModelCard;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.InvalidSetting;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Logger;

/**
 * ONNX Runtime sessions created the lab's way: the provider asked for (auto falls back to the CPU where CUDA is not
 * usable), the lab's threading, and the in-place cache's widths read from the graph.
 */
final class OrtSessions {
    private static final Logger LOG = Logger.getLogger(OrtSessions.class.getName());

    private OrtSessions() {
    }

    /**
     * A session and where it runs.
     *
     * @param providerUsed "cpu" or "cuda"
     * @param cudaDevice   the CUDA ordinal the session runs on, or -1 on the CPU
     * @param providerNote why a preferred provider was not used, or null
     * @param threads      ONNX Runtime intra-op threads (the options', or what auto chose)
     * @param spinning     whether the pool threads spin between operators
     */
    record Created(OrtSession session, String providerUsed, int cudaDevice, String providerNote, int threads,
                   boolean spinning) {
    }

    /** Creates the session of {@code modelFile} on the provider {@code options} ask for. */
    static Created create(OrtEnvironment environment, Path modelFile, RuntimeOptions options) throws OrtException {
        // 0 = one thread per core idle now (ThreadPolicy): on a machine whose other cores are busy, a pool sized to
        // every core waits on the descheduled part of each operator
        int threads = ThreadPolicy.resolve(options.intraOpThreads());
        if (options.provider() != ExecutionProvider.CPU) {
            // Attaching the provider and creating the session can each fail where CUDA is not usable: a -Pcuda
            // build on a host without a usable GPU attaches, then fails to create. Either way auto falls back.
            String note;
            try (OrtSession.SessionOptions cuda = sessionOptions(options, threads)) {
                OrtSession session = options.sessions().create(environment, modelFile.toString(), cuda,
                        options.cudaDevice());
                return new Created(session, "cuda", options.cudaDevice(), null, threads, options.spinning());
            } catch (OrtException | UnsatisfiedLinkError | RuntimeException e) {
                String reason = "CUDA execution provider on CUDA device " + options.cudaDevice() + " unavailable ("
                        + oneLine(e.getMessage()) + "); this build has " + providers();
                if (options.provider() == ExecutionProvider.CUDA) {
                    throw new InvalidSetting(ExecutionProvider.FIELD, "cuda: " + reason
                            + ". Build with './mvnw -Pcuda' (onnxruntime_gpu) on a machine with CUDA, or ask for cpu "
                            + "or auto");
                }
                note = reason + "; fell back to CPU";
                LOG.warning(note);
            }
            return new Created(cpuSession(environment, modelFile, options, threads), "cpu", -1, note, threads,
                    options.spinning());
        }
        return new Created(cpuSession(environment, modelFile, options, threads), "cpu", -1, null, threads,
                options.spinning());
    }

    private static OrtSession cpuSession(OrtEnvironment environment, Path modelFile, RuntimeOptions options,
            int threads) throws OrtException {
        try (OrtSession.SessionOptions cpu = sessionOptions(options, threads)) {
            // Load by path so ONNX Runtime resolves model.onnx.data next to the graph.
            return options.sessions().create(environment, modelFile.toString(), cpu, -1);
        }
    }

    /** Options with the lab's threading; fresh for each try, since a provider once attached cannot be removed. */
    private static OrtSession.SessionOptions sessionOptions(RuntimeOptions options, int threads) throws OrtException {
        OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions();
        sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        sessionOptions.setIntraOpNumThreads(threads);
        sessionOptions.setInterOpNumThreads(1); // sequential execution: an inter-op pool would only idle
        if (!options.spinning()) {
            // ONNX Runtime's pool threads spin between ops by default: on a machine whose other cores are busy that
            // spinning steals the cores the work needs, and it burns CPU time the energy figures count.
            sessionOptions.addConfigEntry(ThreadPolicy.ORT_INTRA_SPINNING, "0");
            sessionOptions.addConfigEntry(ThreadPolicy.ORT_INTER_SPINNING, "0");
        }
        return sessionOptions;
    }

    /** A native library's message on one line (ONNX Runtime's CUDA errors span several). */
    private static String oneLine(String message) {
        return message == null ? "no message" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String providers() {
        try {
            return OrtEnvironment.getAvailableProviders().toString();
        } catch (RuntimeException e) {
            return "unknown providers";
        }
    }

    /**
     * Each layer's cache width, read from the graph; refuses a graph without the in-place cache (exported before
     * it, with a past that grew every step), which a session cannot drive.
     */
    static int[] kvWidths(OrtSession session, ModelCard card) throws OrtException {
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (!inputs.containsKey(DecoderIo.CACHE_WRITE_INDICES)) {
            throw new IllegalArgumentException("the graph has no " + DecoderIo.CACHE_WRITE_INDICES
                    + " input: it was exported by an older version of the lab (a KV cache copied every step); "
                    + "export it again with './lab export' or './lab prune'");
        }
        int[] widths = new int[card.numLayers()];
        for (int layer = 0; layer < widths.length; layer++) {
            NodeInfo info = inputs.get(DecoderIo.pastKey(layer));
            long[] shape = info == null ? new long[0] : ((TensorInfo) info.getInfo()).getShape();
            if (shape.length != 3 || shape[2] < 1) {
                throw new IllegalArgumentException("the graph's " + DecoderIo.pastKey(layer)
                        + " is not a [batch, cache_sequence_length, kv_width] input (the model card says "
                        + card.numLayers() + " layers)");
            }
            widths[layer] = (int) shape[2];
        }
        return widths;
    }
}
