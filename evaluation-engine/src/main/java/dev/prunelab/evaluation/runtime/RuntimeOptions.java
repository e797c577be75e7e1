package dev.prunelab.evaluation.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.prunelab.vocabulary.ExecutionProvider;

/**
 * How a session is created.
 *
 * @param intraOpThreads threads ONNX Runtime uses inside one operator; 0 = one per core idle when the session
 *                       opens (ThreadPolicy)
 * @param spinning       let ONNX Runtime's pool threads spin while waiting for work (its default; off here)
 * @param cudaDevice     the CUDA device ordinal the CUDA provider runs on (cuda and auto; docs/energy.md "The GPU": the same
 *                       ordinal names the GPU the energy meter reads)
 * @param sessions       how ONNX Runtime creates the session, the CUDA provider attached first when asked:
 *                       {@link SessionFactory#ONNX_RUNTIME}; a seam, so a test can stand in for a GPU
 */
public record RuntimeOptions(ExecutionProvider provider, int intraOpThreads, boolean spinning, int cudaDevice,
                             SessionFactory sessions) {

    /**
     * Creates a session from {@code options}: with {@code cudaDevice} >= 0 the CUDA provider is attached for that
     * ordinal first. Either step may fail where CUDA is not usable (a build without the provider; a -Pcuda build on
     * a host without a usable GPU: attaching succeeds, creating fails).
     */
    @FunctionalInterface
    public interface SessionFactory {
        SessionFactory ONNX_RUNTIME = (environment, modelPath, options, cudaDevice) -> {
            if (cudaDevice >= 0) {
                options.addCUDA(cudaDevice);
            }
            return environment.createSession(modelPath, options);
        };

        /** @param cudaDevice the CUDA ordinal to attach the CUDA provider for, or -1 for the CPU alone */
        OrtSession create(OrtEnvironment environment, String modelPath, OrtSession.SessionOptions options,
                int cudaDevice) throws OrtException;
    }

    public RuntimeOptions {
        if (provider == null) {
            throw new IllegalArgumentException("the execution provider is missing");
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, was " + intraOpThreads);
        }
        if (cudaDevice < 0) {
            throw new IllegalArgumentException("CUDA device must be >= 0, was " + cudaDevice);
        }
        if (sessions == null) {
            sessions = SessionFactory.ONNX_RUNTIME;
        }
    }

    /** CUDA device 0, sessions created by ONNX Runtime. */
    public RuntimeOptions(ExecutionProvider provider, int intraOpThreads, boolean spinning) {
        this(provider, intraOpThreads, spinning, 0, SessionFactory.ONNX_RUNTIME);
    }

    public RuntimeOptions(ExecutionProvider provider, int intraOpThreads) {
        this(provider, intraOpThreads, false);
    }

    public static RuntimeOptions cpu() {
        return new RuntimeOptions(ExecutionProvider.CPU, 0);
    }

    /** The same options on CUDA device {@code ordinal}. */
    public RuntimeOptions onCudaDevice(int ordinal) {
        return new RuntimeOptions(provider, intraOpThreads, spinning, ordinal, sessions);
    }

    /** The same options with sessions created by {@code factory}. */
    public RuntimeOptions withSessions(SessionFactory factory) {
        return new RuntimeOptions(provider, intraOpThreads, spinning, cudaDevice, factory);
    }
}
