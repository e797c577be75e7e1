package dev.prunelab.gateway.service;

import dev.prunelab.events.RunRequested;
import dev.prunelab.gateway.SearchDriver;
import io.quarkus.logging.Log;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;

/**
 * Moves every search on, once per gateway tick: publishes the runs its {@link SearchDriver} step proposes. Nothing
 * runs before the replay caught up, so a restarted gateway first learns which runs exist and then proposes only the
 * missing ones; a run another replica published already has the same id and is skipped by the publisher (or, if both
 * published it at once, run once by the pruner's claim on its id).
 */
@ApplicationScoped
public class SearchAdvancer {

    @Inject
    GatewayState state;

    @Inject
    RunRequestPublisher publisher;

    @Inject
    GatewayMetrics metrics;

    @Scheduled(every = "${prunelab.gateway.tick:2s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        if (state.catchUp().caughtUp()) {
            advance(Instant.now());
        }
    }

    /**
     * Publishes what every search proposes now (a search whose publication fails is retried at the next tick), and
     * counts the searches running or stopping for {@code prunelab.searches.active}.
     */
    void advance(Instant now) {
        List<SearchDriver.Step> steps = state.searches(now);
        metrics.searchesActive(steps.stream().filter(step -> step.view().status().equals("running")
                || step.view().status().equals("stopping")).count());
        for (SearchDriver.Step step : steps) {
            try {
                for (RunRequested run : step.toPublish()) {
                    publisher.submit(run);
                }
            } catch (RuntimeException e) {
                Log.warnf("search %s: could not publish its next runs, retrying at the next tick: %s",
                        step.view().searchId(), e.getMessage());
            }
        }
    }
}
