package dev.prunelab.evaluation.energy;

import dev.prunelab.evaluation.speed.LatencyBenchmark;
import dev.prunelab.measure.EnergyCounter;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Counter readings at a repeat's three edges: prefill starts, first tokens chosen, decode ends. */
final class CounterEdges implements LatencyBenchmark.PhaseEdges {
    private final EnergyCounter counter;
    private double prefillStart;
    private double firstTokens;
    private double decodeEnd;

    CounterEdges(EnergyCounter counter) {
        this.counter = counter;
    }

    @Override
    public void prefillStarts() {
        prefillStart = read();
    }

    @Override
    public void firstTokens() {
        firstTokens = read();
    }

    @Override
    public void decodeEnds() {
        decodeEnd = read();
    }

    /** Joules between the prefill's start and the first tokens. */
    double prefillJoules() {
        return firstTokens - prefillStart;
    }

    /** Joules between the first tokens and the decode's end. */
    double decodeJoules() {
        return decodeEnd - firstTokens;
    }

    private double read() {
        try {
            return counter.joules();
        } catch (IOException e) {
            throw new UncheckedIOException("energy: the counter failed during the workload", e);
        }
    }
}
