package dev.prunelab.integration.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prunelab.cli.LabCli;
import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.evaluation.energy.EnergySummary;
import dev.prunelab.evaluation.report.EvaluationReport;
import dev.prunelab.evaluation.report.ResultTable;
import dev.prunelab.evaluation.runtime.DecoderSession;
import dev.prunelab.evaluation.runtime.RuntimeOptions;
import dev.prunelab.evaluation.suite.EvaluationSuite;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.FakeNvml;
import dev.prunelab.measure.GpuDevice;
import dev.prunelab.measure.HostWorkLock;
import dev.prunelab.measure.NvmlCounter;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.pruning.export.ExportedStories260K;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.InvalidSetting;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU path without a GPU, on an exported stories260K: session creation is the test's (a stand-in that takes the
 * CUDA ordinal and creates a CPU session, or one that fails the way a -Pcuda build fails on a host without a usable
 * GPU), NVML is measurement's FakeNvml, and every clock is the test's.
 */
class GpuPathOnExportedModelTest {
    @RegisterExtension
    static final ExportedStories260K STORIES = new ExportedStories260K();
    @TempDir
    static Path temp;

    /** What a -Pcuda build says creating a session on a host without a usable GPU (attaching the provider worked). */
    static final String NO_DEVICE = "CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ;\n"
            + "  expr=cudaSetDevice(info_.device_id);";

    /** Creates sessions as asked and records the CUDA ordinal of each try (-1: the CPU). */
    static final class Sessions implements RuntimeOptions.SessionFactory {
        final List<Integer> asked = new ArrayList<>();
        private final boolean cudaFails;

        /** @param cudaFails a try on a CUDA ordinal fails at creation; else it is created on the CPU (a stand-in GPU) */
        Sessions(boolean cudaFails) {
            this.cudaFails = cudaFails;
        }

        @Override
        public ai.onnxruntime.OrtSession create(ai.onnxruntime.OrtEnvironment environment, String modelPath,
                ai.onnxruntime.OrtSession.SessionOptions options, int cudaDevice) throws OrtException {
            asked.add(cudaDevice);
            if (cudaDevice >= 0 && cudaFails) {
                throw new OrtException(NO_DEVICE);
            }
            return environment.createSession(modelPath, options);
        }
    }

    @Test
    void autoFallsBackToTheCpuWhenCreatingTheCudaSessionFails() {
        Sessions sessions = new Sessions(true);
        try (DecoderSession session = DecoderSession.open(STORIES.directory(),
                new RuntimeOptions(ExecutionProvider.AUTO, 1, false, 1, sessions))) {
            assertEquals("cpu", session.providerUsed());
            assertEquals(-1, session.cudaDevice());
            assertEquals(List.of(1, -1), sessions.asked, "CUDA device 1 tried, then the CPU");
            assertTrue(session.providerNote().startsWith("CUDA execution provider on CUDA device 1 unavailable (CUDA "
                    + "failure 100: no CUDA-capable device is detected ; GPU=0 ; expr=cudaSetDevice(info_.device_id);); "
                    + "this build has "), session.providerNote());
            assertTrue(session.providerNote().endsWith("; fell back to CPU"), session.providerNote());
            try (var cache = session.newCache(1, 4)) {
                assertEquals(4, cache.capacity(), "the CPU session works");
            }
        }
    }

    @Test
    void explicitCudaFailsInOneLineWhenCreatingTheSessionFails() {
        Sessions sessions = new Sessions(true);
        InvalidSetting e = assertThrows(InvalidSetting.class, () -> DecoderSession.open(STORIES.directory(),
                new RuntimeOptions(ExecutionProvider.CUDA, 1, false, 0, sessions)));
        assertEquals(List.of(0), sessions.asked, "no CPU session for an explicit cuda");
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("cuda: CUDA execution provider on CUDA device 0 unavailable (CUDA failure 100"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Build with './mvnw -Pcuda'"), e.getMessage());
    }

    @Test
    void autoFallsBackWhenAttachingTheProviderFailsToo() {
        List<Integer> asked = new ArrayList<>();
        RuntimeOptions.SessionFactory noProvider = (environment, modelPath, options, cudaDevice) -> {
            asked.add(cudaDevice);
            if (cudaDevice >= 0) {
                throw new UnsatisfiedLinkError("libonnxruntime_providers_cuda.so: cannot open shared object file");
            }
            return environment.createSession(modelPath, options);
        };
        try (DecoderSession session = DecoderSession.open(STORIES.directory(),
                new RuntimeOptions(ExecutionProvider.AUTO, 1, false, 0, noProvider))) {
            assertEquals("cpu", session.providerUsed());
            assertEquals(List.of(0, -1), asked);
            assertTrue(session.providerNote().contains("libonnxruntime_providers_cuda.so"), session.providerNote());
        }
    }

    @Test
    void theCliGivesItsDeviceToTheSessionAndRefusesANegativeOne() throws IOException {
        StringWriter err = new StringWriter();
        assertEquals(2, LabCli.run(new PrintWriter(err, true), "eval", "--model", STORIES.directory().toString(), "--device", "-1",
                "--max-windows", "1", "--threads", "1"));
        assertEquals(1, err.toString().lines().count(), err.toString());
        assertTrue(err.toString().contains("--device must be 0 or more, was -1"), err.toString());

        Path json = temp.resolve("auto-device-3.json");
        assertEquals(0, LabCli.run("eval", "--model", STORIES.directory().toString(), "--provider", "auto", "--device", "3",
                "--max-windows", "1", "--threads", "1", "--json", json.toString()));
        JsonNode report = new ObjectMapper().readTree(Files.readString(json));
        if (report.get("provider").asText().equals("cuda")) {
            assertEquals(3, report.at("/gpu/cudaDevice").asInt(), report.toString());   // a -Pcuda build with 4 GPUs
        } else {
            assertTrue(report.get("providerNote").asText().startsWith("CUDA execution provider on CUDA device 3 "
                    + "unavailable"), report.toString());
            assertTrue(report.at("/gpu").isMissingNode(), "no gpu section for a CPU session");
        }
    }

    /** Energy only: P 16, N 8, batch 1, 3 repeats, no warm-up, no idle baseline. */
    private static EvaluationSuite.Settings energyOnly() {
        return new EvaluationSuite.Settings(STORIES.directory(), ExecutionProvider.CUDA, 1, null, null, null,
                new EnergyBenchmark.Settings(16, 8, 1, 3, 0, 0.0, EnergyBenchmark.Settings.SEED));
    }

    @Test
    void aGpuRunWithoutNvmlReportsNoEnergyNeverTheCpuEstimate() throws IOException {
        Sessions gpu = new Sessions(false);
        GpuDevice device = GpuDevice.of(1, Map.of("CUDA_VISIBLE_DEVICES", FakeNvml.UUID_0 + "," + FakeNvml.UUID_2));
        EnergyCounters counters = new EnergyCounters("auto", temp.resolve("no-powercap"), PowerModel.CCF_AWS)
                .withNvml(g -> {
                    throw new IOException("NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here)");
                });
        AtomicLong now = new AtomicLong();
        EnergyBenchmark.Environment environment = new EnergyBenchmark.Environment(counters, HostWorkLock.none(),
                () -> now.addAndGet(1_000_000)).withGpu(device).withSessions(gpu);

        EvaluationReport report = EvaluationSuite.run(energyOnly(), environment, EvaluationSuite.Progress.NONE);
        assertEquals("cuda", report.provider());
        assertEquals(List.of(1), gpu.asked, "the session runs on the environment's CUDA device");
        assertEquals(new EvaluationReport.Gpu(1, device.mapping(), null, FakeNvml.UUID_2, null), report.gpu(),
                "the ordinal and the UUID CUDA_VISIBLE_DEVICES names, without NVML's index");
        assertEquals("gpu:" + FakeNvml.UUID_2, report.gpu().deviceName());

        EvaluationReport.Energy energy = report.energy();
        assertNull(energy.summary(), "no J/token figures at all, rather than the CPU's");
        assertEquals(List.of(), energy.repeats());
        assertEquals("nvml: NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here); "
                + EnergyCounters.NO_GPU_COUNTER, energy.unavailable());
        String table = ResultTable.render(report);
        assertTrue(table.contains("not measured: nvml: NVML is not available"), table);
        assertTrue(EvaluationReport.JSON.writeValueAsString(report).contains("\"unavailable\" :"));
    }

    @Test
    void aGpuRunIsMeteredOnItsOwnBoardOverWindowsOfAtLeastFourUpdatePeriods() {
        // every read of the clock moves it 10 ms; NVML's counter steps every 50 ms of it, by 100 W x 50 ms = 5 J
        AtomicLong now = new AtomicLong();
        LongSupplier clock = () -> now.addAndGet(10_000_000);
        FakeNvml nvml = new FakeNvml(FakeNvml.UUID_0, FakeNvml.UUID_1, FakeNvml.UUID_2)
                .steppingEvery(50_000_000, 100, now::get);
        GpuDevice device = GpuDevice.of(1, Map.of("CUDA_VISIBLE_DEVICES", FakeNvml.UUID_0 + "," + FakeNvml.UUID_2));
        EnergyCounters counters = new EnergyCounters("auto", temp.resolve("no-powercap"), PowerModel.CCF_AWS)
                .withNvml(g -> NvmlCounter.open(nvml, g, clock));
        Sessions gpu = new Sessions(false);
        EnergyBenchmark.Environment environment = new EnergyBenchmark.Environment(counters, HostWorkLock.none(), clock)
                .withGpu(device).withSessions(gpu);

        EvaluationReport report;
        try {
            report = EvaluationSuite.run(energyOnly(), environment, EvaluationSuite.Progress.NONE);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertEquals(0, nvml.initialized, "the counter was closed");
        assertEquals(new EvaluationReport.Gpu(1, device.mapping(), 2, FakeNvml.UUID_2, "NVIDIA H200"), report.gpu(),
                "CUDA device 1 is the second board CUDA_VISIBLE_DEVICES lists: NVML's board 2");
        EnergySummary m = report.energy().summary();
        assertEquals(EnergySource.NVML, m.source());
        assertEquals("gpu2 (" + FakeNvml.UUID_2 + ")", m.device());
        assertTrue(m.basis().contains("the counter updates every 50.0 ms (median of 5 intervals read at open)"),
                m.basis());
        // one pass of a phase lasts one 10 ms step of the clock: 20 passes make the 200 ms window
        assertTrue(m.selection().endsWith("; counter update period 50.0 ms: each energy window spans at least 4 "
                + "periods (200 ms): prefill read over 20 pass(es) per repeat (10.00 ms each), decode over 20 (10.0 ms "
                + "each); joules and seconds divided by the passes"), m.selection());
        assertTrue(m.selection().startsWith("nvml: gpu2 (" + FakeNvml.UUID_2 + ") energy counter (CUDA device 1 = "
                + "CUDA_VISIBLE_DEVICES entry 1"), m.selection());
        for (EnergyBenchmark.Repeat r : report.energy().repeats()) {
            // the phase's window is one clock step whatever ran inside it; per pass it is a twentieth
            assertEquals(0.010 / 20, r.prefillSeconds(), 1e-15, r.toString());
            assertEquals(0.010 / 20, r.decodeSeconds(), 1e-15, r.toString());
            // the counter moves in whole 5 J steps: a window's joules are whole steps, then divided by the passes
            assertEquals(0, Math.IEEEremainder(r.prefillJoules() * 20, 5.0), 1e-9, r.toString());
            assertEquals(0, Math.IEEEremainder(r.decodeJoules() * 20, 5.0), 1e-9, r.toString());
        }
    }

    @Test
    void aPhaseTooShortForTheCounterIsRefusedAndSaidSo() throws IOException {
        // the clock moves 10 us a read: a 10 us phase would need 20,000 passes to span 4 periods of 50 ms
        AtomicLong now = new AtomicLong();
        FakeNvml nvml = new FakeNvml().steppingEvery(50_000_000, 100, now::get);
        LongSupplier clock = () -> now.addAndGet(10_000);
        EnergyCounters counters = new EnergyCounters("nvml", temp.resolve("no-powercap"), PowerModel.CCF_AWS)
                .withNvml(g -> NvmlCounter.open(nvml, g, clock));
        EnergyBenchmark.Environment environment = new EnergyBenchmark.Environment(counters, HostWorkLock.none(), clock)
                .withGpu(GpuDevice.of(0, Map.of())).withSessions(new Sessions(false));
        EvaluationReport report = EvaluationSuite.run(energyOnly(), environment, EvaluationSuite.Progress.NONE);
        assertNull(report.energy().summary());
        assertTrue(report.energy().unavailable().endsWith("; refused: the prefill phase (0.010 ms a pass) would need "
                + "more than 1000 passes per repeat to span 4 update periods of the counter (50.0 ms each); measure a "
                + "longer prompt or a larger batch"), report.energy().unavailable());
        assertEquals(0, nvml.initialized);
    }
}
