package dev.prunelab.gateway.service;

import dev.prunelab.events.Event;
import dev.prunelab.gateway.Carbon;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.ReplayCatchUp;
import dev.prunelab.gateway.RunJoin;
import dev.prunelab.gateway.RunResult;
import dev.prunelab.gateway.RunView;
import dev.prunelab.gateway.SearchDriver;
import dev.prunelab.gateway.SweepReports;
import dev.prunelab.gateway.SweepView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The gateway's state: every run joined in one {@link RunJoin}, held in memory.
 *
 * <p><b>How it survives a restart:</b> it is rebuilt on every start by replaying every pipeline topic from the
 * beginning. The incoming channel subscribes with a consumer group id unique to this start
 * ({@code prunelab-gateway-${quarkus.uuid}}), {@code auto.offset.reset=earliest} and no commits, so each start reads
 * the whole log again; {@link RunJoin} is keyed by run id and keeps the first event of each kind, so replayed and
 * redelivered events join to the same results in any order. The topics are the durable store (keep their
 * retention unlimited, or compact them, for state older than the default retention). The gateway is ready only
 * once it has read every partition to the end offset it had at start ({@link ReplayCatchUp}, end offsets from a
 * Kafka Admin client in {@link EndOffsetsProbe}): before that, readiness is DOWN and the API answers 503, so no
 * client sees a half-rebuilt state.
 *
 * <p>The gateway publishes no dead letters: an undecodable record is skipped here (the service that owns the topic
 * dead-letters it, and a replay on every start would publish it again).
 */
@ApplicationScoped
public class GatewayState {

    private final RunJoin join;
    private final Carbon carbon;
    private final ReplayCatchUp catchUp = new ReplayCatchUp();

    @Inject
    public GatewayState(@ConfigProperty(name = "prunelab.carbon.intensity-g-per-kwh", defaultValue = "475")
                        double gramsPerKwh,
                        @ConfigProperty(name = "prunelab.carbon.pue", defaultValue = "1.0") double pue,
                        @ConfigProperty(name = "prunelab.gateway.power-retention", defaultValue = "PT6H")
                        Duration powerRetention) {
        this.join = new RunJoin(powerRetention);
        this.carbon = new Carbon(gramsPerKwh, pue);
    }

    public Carbon carbon() {
        return carbon;
    }

    public RunJoin join() {
        return join;
    }

    public ReplayCatchUp catchUp() {
        return catchUp;
    }

    public boolean accept(Event event) {
        return join.accept(event);
    }

    /** Throws {@link NotReadyException} until the replay caught up. */
    public void requireReady() {
        if (!catchUp.caughtUp()) {
            throw new NotReadyException("the gateway is rebuilding its state from Kafka (" + catchUp.describe()
                    + "); retry in a moment");
        }
    }

    public Optional<SweepView> sweep(String sweepId, Constraints constraints, Double baselinePerplexity) {
        List<RunResult> runs = join.sweep(sweepId);
        if (runs.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(SweepReports.view(sweepId, runs, join.cancellation(sweepId).isPresent(),
                constraints, baselinePerplexity, carbon));
    }

    public List<SweepView> sweeps(Constraints constraints, Double baselinePerplexity) {
        return join.sweepIds().stream()
                .flatMap(id -> sweep(id, constraints, baselinePerplexity).stream()).toList();
    }

    /** One step of a search against the state now: its view and the runs it would publish (docs/search.md). */
    public Optional<SearchDriver.Step> search(String searchId, Instant now) {
        return join.search(searchId).map(requested -> SearchDriver.step(requested, join::get,
                join.cancellation(searchId).isPresent(), now));
    }

    /** Every search's step, in the order the searches were first seen. */
    public List<SearchDriver.Step> searches(Instant now) {
        return join.searches().stream().flatMap(s -> search(s.searchId(), now).stream()).toList();
    }

    /** One run, compared with its sweep's dense run when it belongs to a sweep. */
    public Optional<RunView> run(String runId) {
        return join.get(runId).map(run -> {
            if (run.sweepId() == null) {
                return RunView.of(run, carbon);
            }
            var dense = SweepReports.denseRun(join.sweep(run.sweepId())).flatMap(RunResult::point).orElse(null);
            return RunView.of(run, false, false, dense, carbon);
        });
    }

    /** The API's answer before the state is complete (HTTP 503). */
    public static final class NotReadyException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotReadyException(String message) {
            super(message);
        }
    }
}
