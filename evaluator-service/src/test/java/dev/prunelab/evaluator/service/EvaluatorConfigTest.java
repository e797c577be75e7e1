package dev.prunelab.evaluator.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prunelab.evaluation.energy.EnergyBenchmark;
import dev.prunelab.measure.EnergyCounters;
import dev.prunelab.measure.HostWorkLock;
import org.junit.jupiter.api.Test;

/** prunelab.evaluator.device: the one CUDA ordinal of the evaluator's sessions and meter; plain Java, no Quarkus. */
class EvaluatorConfigTest {

    @Test
    void theConfiguredDeviceIsTheEnvironmentsGpu() {
        EnergyBenchmark.Environment environment = new EvaluatorConfig().energyEnvironment(EnergyCounters.auto(),
                HostWorkLock.none(), 2);
        assertEquals(2, environment.gpu().cudaOrdinal());
        assertEquals(2, environment.runtime(dev.prunelab.evaluation.runtime.RuntimeOptions.cpu()).cudaDevice(),
                "sessions are opened on the same ordinal");
    }

    @Test
    void aNegativeDeviceIsRefusedAtStartInOneLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EvaluatorConfig.gpu(-1));
        assertEquals("prunelab.evaluator.device must be a CUDA device ordinal, 0 or more; was -1", e.getMessage());
    }
}
