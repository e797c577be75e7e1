package dev.prunelab.gateway.service;

import dev.prunelab.events.EventSources;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.events.Topics;
import dev.prunelab.service.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

/**
 * Publishes the gateway's requests about runs, run.requested, sweep.cancelled and search.requested, through the shared
 * {@link EventSender}, and waits for the broker's acknowledgement, so a 202 means they are in Kafka.
 */
@ApplicationScoped
public class RunRequestPublisher {

    public static final String RUN_REQUESTED = "run-requested";
    public static final String SWEEP_CANCELLED = "sweep-cancelled";
    public static final String SEARCH_REQUESTED = "search-requested";
    static final String SOURCE = EventSources.GATEWAY;

    private final GatewayState state;
    private final EventSender sender;

    @Inject
    public RunRequestPublisher(GatewayState state, @Channel(RUN_REQUESTED) MutinyEmitter<String> runRequests,
                          @Channel(SWEEP_CANCELLED) MutinyEmitter<String> sweepCancellations,
                          @Channel(SEARCH_REQUESTED) MutinyEmitter<String> searches,
                          @ConfigProperty(name = "prunelab.send-timeout", defaultValue = "PT60S") Duration timeout) {
        this.state = state;
        this.sender = new EventSender(SOURCE, Map.of(Topics.RUN_REQUESTED, runRequests, Topics.SWEEP_CANCELLED,
                sweepCancellations, Topics.SEARCH_REQUESTED, searches), timeout);
    }

    /**
     * Publishes a run request unless the gateway already knows the run (resubmitting a sweep must not run it
     * twice), then records it, so a GET right after the 202 shows it. Serialised: two submissions of one sweep at
     * once publish it once.
     *
     * @return false when the run was already known
     */
    public synchronized boolean submit(RunRequested run) {
        if (state.join().get(run.runId()).map(r -> r.request() != null).orElse(false)) {
            return false;
        }
        sender.sendAndAwait(run);
        state.accept(run);
        return true;
    }

    /**
     * Publishes an accepted search unless the gateway already has one under its id, then records it. Serialised
     * with {@link #submit}.
     *
     * @return false when a search of this id was already accepted (the first one stands)
     */
    public synchronized boolean search(SearchRequested search) {
        if (state.join().search(search.searchId()).isPresent()) {
            return false;
        }
        sender.sendAndAwait(search);
        state.accept(search);
        return true;
    }

    /** Publishes a sweep's cancellation and waits until the broker acknowledged it (at most the send timeout). */
    public void cancel(SweepCancelled cancelled) {
        sender.sendAndAwait(cancelled);
    }
}
