package dev.prunelab.gateway;

import dev.prunelab.events.Event;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.SweepCancelled;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Joins every run's events into one {@link RunResult}, keyed by run id. Delivery is at-least-once and topics are
 * not ordered against each other, so:
 * <ul>
 *   <li>the first event of each kind wins; a redelivered one (equal or not) changes nothing;</li>
 *   <li>events may arrive in any order: the state is derived from what has arrived (an evaluation before its
 *       request still counts);</li>
 *   <li>COMPLETED and FAILED are final: later events do not change the state, the evaluation or the failure;
 *       a request, prune report or progress that arrives after them is still recorded (when the gateway rebuilds
 *       its state by replaying the topics, a run's evaluation may be read before its request, and the run must
 *       still find its sweep). Progress keeps the latest by {@code occurredAt}, in any order.</li>
 * </ul>
 * An evaluated run is complete: its energy was measured by the evaluator itself (counters read at the edges of
 * its exclusive window) and travels in model.evaluated, so nothing waits for power samples.
 *
 * <p>A dead letter ({@code run.failed} at stage decode) shows up as a failed run without a request, under the
 * run id the codec gave it.
 *
 * <p>Power samples are kept for dashboards only (a run's energy window drawn against the host's power): those older
 * than {@code retention} behind the newest one of their device are dropped at each {@link #tick}.
 *
 * <p>A {@link SearchRequested} is kept per search id (the first one wins). A {@link SweepCancelled} is recorded per
 * sweep (the first one wins); the runs it skips arrive as
 * {@link RunFailed} with stage {@code cancelled}.
 */
public final class RunJoin {

    private final Duration retention;
    private final Map<String, Entry> runs = new LinkedHashMap<>();
    private final Map<String, TreeMap<Instant, PowerSample>> power = new TreeMap<>(); // key host/device
    private final Map<String, SweepCancelled> cancellations = new LinkedHashMap<>();
    private final Map<String, SearchRequested> searches = new LinkedHashMap<>();

    private static final class Entry {
        RunRequested request;
        RunProgress progress;
        ModelPruned pruned;
        ModelEvaluated evaluated;
        RunFailed failure;

        RunState state() {
            if (failure != null) {
                return RunState.FAILED;
            }
            if (evaluated != null) {
                return RunState.COMPLETED;
            }
            return pruned != null ? RunState.PRUNED : RunState.REQUESTED;
        }
    }

    /** @param retention how long power samples are kept behind the newest of their device */
    public RunJoin(Duration retention) {
        this.retention = retention;
    }

    /** Applies one event; true when anything changed (false for a duplicate or an event after a final state). */
    public synchronized boolean accept(Event event) {
        if (event instanceof PowerSample sample) {
            return acceptPower(sample);
        }
        if (event instanceof SweepCancelled c) {
            return cancellations.putIfAbsent(c.sweepId(), c) == null;
        }
        if (event instanceof SearchRequested s) {
            return searches.putIfAbsent(s.searchId(), s) == null;
        }
        Entry entry = runs.computeIfAbsent(event.key(), id -> new Entry());
        if (entry.state().isFinal()) {
            return fillIn(entry, event);
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
            changed = isLater(p, entry.progress) && set(() -> entry.progress = p);
        } else {
            throw new IllegalArgumentException("unexpected event type " + event.type());
        }
        return changed;
    }

    private static boolean isLater(RunProgress p, RunProgress current) {
        return current == null || p.occurredAt().isAfter(current.occurredAt());
    }

    /** A final run still records the parts that do not change its state. */
    private static boolean fillIn(Entry entry, Event event) {
        if (event instanceof RunRequested r && entry.request == null) {
            entry.request = r;
            return true;
        }
        if (event instanceof ModelPruned p && entry.pruned == null) {
            entry.pruned = p;
            return true;
        }
        if (event instanceof RunProgress p && isLater(p, entry.progress)) {
            entry.progress = p;
            return true;
        }
        return false;
    }

    /** Drops the power samples older than the retention behind the newest one of their device. */
    public synchronized void tick() {
        for (TreeMap<Instant, PowerSample> series : power.values()) {
            series.headMap(series.lastKey().minus(retention)).clear();
        }
    }

    /** How many runs are in each state. */
    public synchronized Map<RunState, Integer> counts() {
        Map<RunState, Integer> counts = new EnumMap<>(RunState.class);
        for (RunState state : RunState.values()) {
            counts.put(state, 0);
        }
        runs.values().forEach(e -> counts.merge(e.state(), 1, Integer::sum));
        return counts;
    }

    /** The sweep ids of every run with a request, in the order first seen. */
    public synchronized List<String> sweepIds() {
        Set<String> ids = new LinkedHashSet<>();
        runs.values().forEach(e -> {
            if (e.request != null && e.request.sweepId() != null) {
                ids.add(e.request.sweepId());
            }
        });
        return List.copyOf(ids);
    }

    /** Every accepted search, in the order first seen (the first request of an id wins). */
    public synchronized List<SearchRequested> searches() {
        return List.copyOf(searches.values());
    }

    public synchronized Optional<SearchRequested> search(String searchId) {
        return Optional.ofNullable(searches.get(searchId));
    }

    public synchronized Optional<SweepCancelled> cancellation(String sweepId) {
        return Optional.ofNullable(cancellations.get(sweepId));
    }

    /** The newest power sample of each host/device, by key. */
    public synchronized Map<String, PowerSample> latestPower() {
        Map<String, PowerSample> latest = new TreeMap<>();
        power.forEach((key, series) -> latest.put(key, series.lastEntry().getValue()));
        return latest;
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

    /** The kept power samples of a host between two instants (both included), every device, in time order. */
    public synchronized List<PowerSample> power(String host, Instant from, Instant to) {
        List<PowerSample> samples = new ArrayList<>();
        for (TreeMap<Instant, PowerSample> series : power.values()) {
            if (!series.isEmpty() && series.firstEntry().getValue().host().equals(host)) {
                samples.addAll(series.subMap(from, true, to, true).values());
            }
        }
        samples.sort(Comparator.comparing(PowerSample::occurredAt));
        return samples;
    }

    private boolean acceptPower(PowerSample sample) {
        TreeMap<Instant, PowerSample> series = power.computeIfAbsent(sample.key(), k -> new TreeMap<>());
        return series.putIfAbsent(sample.occurredAt(), sample) == null;
    }

    private static RunResult result(String runId, Entry e) {
        String sweepId = e.request != null ? e.request.sweepId() : null;
        return new RunResult(runId, sweepId, e.state(), e.request, e.progress, e.pruned, e.evaluated, e.failure);
    }

    private static boolean set(Runnable assignment) {
        assignment.run();
        return true;
    }
}
