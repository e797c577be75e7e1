package dev.prunelab.gateway.service;

import dev.prunelab.events.ArtifactRef;
import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EvaluationMetrics;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.EventSources;
import dev.prunelab.events.MeasurementWindow;
import dev.prunelab.events.ModelEvaluated;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.PruneSummary;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.EvaluationSpec;
import dev.prunelab.events.PerplexitySpec;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.Topics;
import dev.prunelab.gateway.Fixtures;
import dev.prunelab.kafka.InJvmKafka;
import dev.prunelab.kafka.InJvmKafkaResource;
import dev.prunelab.service.BrokerClients;
import dev.prunelab.vocabulary.EnergySource;
import dev.prunelab.vocabulary.PruneMethod;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A real KRaft broker in the test JVM, with the topics created and a history already on them (a completed run of
 * sweep {@value #HISTORY_SWEEP}, as a previous gateway would have seen it): the gateway must rebuild it on start.
 */
public class RealKafka extends InJvmKafkaResource {

    static final String HISTORY_SWEEP = "before-restart";
    static final String HISTORY_RUN = "before-restart-run";
    /** A queued run of the history for which a forged model.evaluated (wrong CloudEvents source) was published. */
    static final String FORGED_RUN = "before-restart-forged";
    static final String FORGER = "/prunelab/not-the-evaluator";

    public RealKafka() {
        super(Topics.ALL);
    }

    @Override
    protected Map<String, String> settings(InJvmKafka broker) {
        publish(history());
        publish(midSearchHistory());
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        publish(List.of(new RunRequested(FORGED_RUN, t0, "forged", new ModelRef("/old/model.bin", null),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5), null, null)));
        publishFrom(FORGER, new ModelEvaluated(FORGED_RUN, t0.plusSeconds(1),
                new EvaluationMetrics(1.01, null, null, null, null, 1000L, null, null),
                new MeasurementWindow(t0, t0.plusSeconds(1), "old-host", "cpu", "cpu"), null));
        return Map.of();
    }

    static final String MID_SEARCH = "mid-search";

    /**
     * A search a previous gateway was running when it was killed: accepted, its dense run and two of its three
     * screens published and finished, the third screen not yet proposed.
     */
    static SearchRequest midSearch() {
        return new SearchRequest(MID_SEARCH, new ModelRef("/old/model.bin", null), null,
                new EvaluationSpec(new PerplexitySpec(null, null, null, 8), null, null, null, null, null),
                List.of(PruneMethod.WANDA, PruneMethod.MAGNITUDE), List.of(0.5), null, null, null, null, null, null,
                null, null, null, null, null, null, 2, null, null);
    }

    static List<Event> midSearchHistory() {
        SearchRequest search = midSearch();
        Instant t0 = Instant.parse("2026-01-01T01:00:00Z");
        List<Event> events = new ArrayList<>(List.of(new SearchRequested(search, t0)));
        List<RunRequested> done = List.of(search.denseRun(t0), search.screenRun(search.dense(), t0),
                search.screenRun(search.candidates().get(0), t0));
        for (RunRequested run : done) {
            events.add(run);
            events.add(Fixtures.pruned(run.runId(), run.prune(), 1000, null));
            events.add(Fixtures.evaluated(run.runId(), 6.0, 1000, null, 0, 100, 1, 1L << 20));
        }
        return events;
    }

    static List<Event> history() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        List<Event> events = new ArrayList<>();
        // Power first: on replay the topics are read concurrently, in no particular order.
        for (int s = 0; s <= 30; s += 5) {
            events.add(new PowerSample(t0.plusSeconds(s), "old-host", "cpu", 30, EnergySource.ESTIMATE, "test"));
        }
        events.add(new ModelEvaluated(HISTORY_RUN, t0.plusSeconds(20),
                new EvaluationMetrics(7.25, null, null, null, null, 1000L, null, null),
                new MeasurementWindow(t0.plusSeconds(10), t0.plusSeconds(20), "old-host", "cpu", "cpu"),
                Fixtures.energy(0.02, 0.001, 400, 10)));
        events.add(new RunRequested(HISTORY_RUN, t0, HISTORY_SWEEP, new ModelRef("/old/model.bin", null),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.0), null, null));
        events.add(new ModelPruned(HISTORY_RUN, t0.plusSeconds(5), new ArtifactRef("file:/old/a", "0".repeat(64), 1000),
                new PruneSummary("wanda", "wanda 0.0", 0.0, 0.0, 100L, 100L, 1.0, null), null));
        return events;
    }

    /** Publishes each event as its owning service would, with its CloudEvents headers. */
    static void publish(List<Event> events) {
        for (Event event : events) {
            publishFrom(EventSources.owners(event).iterator().next(), event);
        }
    }

    static void publishFrom(String source, Event event) {
        EventCodec codec = new EventCodec();
        try (KafkaProducer<String, String> producer = BrokerClients.producer()) {
            producer.send(new ProducerRecord<>(Topics.of(event), null, event.key(), codec.encode(event),
                    CloudEvents.kafkaHeaders(event, source))).get();
        } catch (Exception e) {
            throw new IllegalStateException("could not publish the history: " + e.getMessage(), e);
        }
    }
}
