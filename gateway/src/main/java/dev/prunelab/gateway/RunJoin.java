package dev.prunelab.gateway;

import dev.prunelab.events.Event;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Joins every run's events into one {@link RunResult}, keyed by run id. Delivery is at-least-once and topics are
 * not ordered against each other, so:
 * <ul>
 *   <li>the first event of each kind wins; a redelivered one (equal or not) changes nothing;</li>
 *   <li>events may arrive in any order: the state is derived from what has arrived (an evaluation before its
 *       request still counts);</li>
 *   <li>COMPLETED and FAILED are final: later events of the run change nothing.</li>
 * </ul>
 * An evaluated run completes once every power device of its window's host and device has a sample at or after
 * the window's end (so the integral sees the whole window), or, at {@link #tick}, {@code powerGrace} after the
 * window's end with whatever samples arrived (none: energy stays null).
 *
 * <p>A dead letter ({@code run.failed} at stage decode) shows up as a failed run without a request, under the
 * run id the codec gave it.
 *
 * <p>Power samples older than {@code retention} behind the newest one of their device are dropped.
 */
public final class RunJoin {

    private final EnergyIntegrator integrator;
    private final Duration powerGrace;
    private final Duration retention;
    private final Map<String, Entry> runs = new LinkedHashMap<>();
    private final Map<String, TreeMap<Instant, PowerSample>> power = new TreeMap<>(); // key host/device

    private static final class Entry {
        RunRequested request;
        RunProgress progress;
        ModelPruned pruned;
        ModelEvaluated evaluated;
        RunFailed failure;
        EnergyIntegrator.Energy energy;
        boolean completed;

        RunState state() {
            if (failure != null) {
                return RunState.FAILED;
            }
            if (completed) {
                return RunState.COMPLETED;
            }
            if (evaluated != null) {
                return RunState.EVALUATED;
            }
            return pruned != null ? RunState.PRUNED : RunState.REQUESTED;
        }
    }

    public RunJoin(EnergyIntegrator integrator, Duration powerGrace, Duration retention) {
        this.integrator = integrator;
        this.powerGrace = powerGrace;
        this.retention = retention;
    }

    /** Applies one event; true when anything changed (false for a duplicate or an event after a final state). */
    public synchronized boolean accept(Event event) {
        if (event instanceof PowerSample sample) {
            return acceptPower(sample);
        }
        Entry entry = runs.computeIfAbsent(event.key(), id -> new Entry());
        if (entry.state().isFinal()) {
            return false;
        }
        boolean changed;
        if (event instanceof RunRequested r) {
            changed = entry.request == null && set(() -> entry.request = r);
        } else if (event instanceof ModelPruned p) {
            changed = entry.pruned == null && set(() -> entry.pruned = p);
        } else if (event instanceof ModelEvaluated e) {
            changed = entry.evaluated == null && set(() -> entry.evaluated = e);
        } else if (event instanceof RunFailed f) {
            changed = set(() -> entry.failure = f);
        } else if (event instanceof RunProgress p) {
            changed = (entry.progress == null || p.occurredAt().isAfter(entry.progress.occurredAt()))
                    && set(() -> entry.progress = p);
        } else {
            throw new IllegalArgumentException("unexpected event type " + event.type());
        }
        if (changed && entry.evaluated != null && powerCovers(entry.evaluated.window())) {
            complete(entry);
        }
        return changed;
    }

    /** Completes evaluated runs whose window ended more than the grace period before {@code now}. */
    public synchronized int tick(Instant now) {
        int completed = 0;
        for (Entry entry : runs.values()) {
            if (entry.state() == RunState.EVALUATED
                    && !now.isBefore(entry.evaluated.window().end().plus(powerGrace))) {
                complete(entry);
                completed++;
            }
        }
        return completed;
    }

    public synchronized Optional<RunResult> get(String runId) {
        Entry entry = runs.get(runId);
        return entry == null ? Optional.empty() : Optional.of(result(runId, entry));
    }

    /** Every run, in the order first seen. */
    public synchronized List<RunResult> all() {
        List<RunResult> results = new ArrayList<>();
        runs.forEach((id, entry) -> results.add(result(id, entry)));
        return results;
    }

    public synchronized List<RunResult> sweep(String sweepId) {
        return all().stream().filter(r -> sweepId.equals(r.sweepId())).toList();
    }

    private boolean acceptPower(PowerSample sample) {
        TreeMap<Instant, PowerSample> series = power.computeIfAbsent(sample.key(), k -> new TreeMap<>());
        if (series.putIfAbsent(sample.occurredAt(), sample) != null) {
            return false;
        }
        series.headMap(series.lastKey().minus(retention)).clear();
        for (Entry entry : runs.values()) {
            if (entry.state() == RunState.EVALUATED && powerCovers(entry.evaluated.window())) {
                complete(entry);
            }
        }
        return true;
    }

    /** Every matching device has reported at or after the window's end (and there is at least one). */
    private boolean powerCovers(MeasurementWindow window) {
        boolean any = false;
        for (Map.Entry<String, TreeMap<Instant, PowerSample>> e : power.entrySet()) {
            PowerSample last = e.getValue().lastEntry().getValue();
            if (last.host().equals(window.host()) && EnergyIntegrator.deviceMatches(window.device(), last.device())) {
                any = true;
                if (last.occurredAt().isBefore(window.end())) {
                    return false;
                }
            }
        }
        return any;
    }

    private void complete(Entry entry) {
        MeasurementWindow window = entry.evaluated.window();
        List<PowerSample> samples = new ArrayList<>();
        for (TreeMap<Instant, PowerSample> series : power.values()) {
            // The samples just outside the window carry the interpolation at its edges.
            Instant from = Optional.ofNullable(series.floorKey(window.start())).orElse(window.start());
            Instant to = Optional.ofNullable(series.ceilingKey(window.end())).orElse(window.end());
            NavigableMap<Instant, PowerSample> slice = series.subMap(from, true, to, true);
            samples.addAll(slice.values());
        }
        samples.sort(Comparator.comparing(PowerSample::occurredAt));
        EnergyIntegrator.Energy energy = integrator.integrate(samples, window);
        entry.energy = energy.devices().isEmpty() ? null : energy;
        entry.completed = true;
    }

    private static RunResult result(String runId, Entry e) {
        String sweepId = e.request != null ? e.request.sweepId() : null;
        return new RunResult(runId, sweepId, e.state(), e.request, e.progress, e.pruned, e.evaluated, e.energy,
                e.failure);
    }

    private static boolean set(Runnable assignment) {
        assignment.run();
        return true;
    }
}
