package dev.prunelab.pruner.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.CalibrationSpec;
import dev.prunelab.events.CloudEvents;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelPruned;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunProgress;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.events.Topics;
import dev.prunelab.measure.PowerModel;
import dev.prunelab.service.MetricsPage;
import dev.prunelab.text.corpus.SharedData;
import dev.prunelab.vocabulary.CpuPowerDefaults;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import dev.prunelab.work.ArtifactStore;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import io.smallrye.reactive.messaging.memory.InMemorySink;
import jakarta.enterprise.inject.Any;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

/** The channel wiring on the in-memory connector: requests in; progress, results and dead letters out. */
@QuarkusTest
@WithTestResource(InMemoryChannels.class)
class PrunerChannelsTest {
    static final Duration DEADLINE = Duration.ofSeconds(120);
    static final EventCodec CODEC = new EventCodec();

    @Inject
    @Any
    InMemoryConnector connector;

    @Inject
    ArtifactStore store;

    @Inject
    PowerModel powerModel;

    static RunRequested request(String runId, String sweepId, String modelPath, PruneSpec prune) {
        return new RunRequested(runId, Instant.now(), sweepId, new ModelRef(modelPath, null), prune,
                new CalibrationSpec(null, 2, 32, 0L), null);
    }

    static String stories() {
        return SharedData.path("models/stories260K/stories260K.bin").toString();
    }

    /** The first message on the sink that decodes to {@code type} and matches, polled until the deadline. */
    static <T extends dev.prunelab.events.Event> Message<String> await(InMemorySink<String> sink, Class<T> type,
            Predicate<T> match) throws InterruptedException {
        long end = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < end) {
            for (Message<String> message : List.copyOf(sink.received())) {
                T event = CODEC.decode(message.getPayload(), type);
                if (match.test(event)) {
                    return message;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no matching " + type.getSimpleName() + " within " + DEADLINE + "; got "
                + sink.received().stream().map(Message::getPayload).toList());
    }

    @SuppressWarnings("unchecked")
    static void assertKeyedWithCloudEvents(Message<String> message, String key, String topic, String type) {
        Optional<OutgoingKafkaRecordMetadata<String>> metadata =
                message.getMetadata(OutgoingKafkaRecordMetadata.class).map(m -> (OutgoingKafkaRecordMetadata<String>) m);
        assertTrue(metadata.isPresent(), "published with Kafka metadata");
        assertEquals(key, metadata.get().getKey());
        assertEquals(topic, metadata.get().getTopic());
        assertEquals(CloudEvents.TYPE_PREFIX + type, new String(metadata.get().getHeaders()
                .lastHeader(CloudEvents.TYPE).value(), StandardCharsets.UTF_8));
        assertEquals("/prunelab/pruner-service", new String(metadata.get().getHeaders()
                .lastHeader(CloudEvents.SOURCE).value(), StandardCharsets.UTF_8));
    }

    @Test
    void aValidRequestYieldsProgressAndAModelPrunedWithItsArtifact() throws Exception {
        InMemorySink<String> progress = connector.sink(PrunerChannels.RUN_PROGRESS);
        InMemorySink<String> pruned = connector.sink(PrunerChannels.MODEL_PRUNED);
        RunRequested request = request("mem-wanda-50", null, stories(), PruneSpec.unstructured(PruneMethod.WANDA, 0.5));

        connector.source(PrunerChannels.RUN_REQUESTED).send(CODEC.encode(request));

        Message<String> message = await(pruned, ModelPruned.class, p -> p.runId().equals("mem-wanda-50"));
        assertKeyedWithCloudEvents(message, "mem-wanda-50", Topics.MODEL_PRUNED, ModelPruned.TYPE);
        ModelPruned event = CODEC.decode(message.getPayload(), ModelPruned.class);
        assertTrue(Files.isRegularFile(store.verify(event.artifact()).resolve("model.onnx")));
        assertEquals("wanda", event.report().method());
        assertEquals(0.5, event.report().achievedSparsity(), 0.01);

        List<RunProgress> events = progress.received().stream()
                .map(m -> CODEC.decode(m.getPayload(), RunProgress.class))
                .filter(p -> p.runId().equals("mem-wanda-50")).toList();
        assertEquals(List.of(RunStage.PRUNE, RunStage.EXPORT), events.stream().map(RunProgress::stage).distinct().toList());
        assertTrue(events.stream().anyMatch(p -> p.stage() == RunStage.PRUNE && p.fraction() == 1.0));
        assertKeyedWithCloudEvents(progress.received().get(0), "mem-wanda-50", Topics.RUN_PROGRESS, RunProgress.TYPE);
    }

    @Test
    void malformedJsonBecomesADeadLetterWithItsReasonAndTheServiceGoesOn() throws Exception {
        InMemorySink<String> failed = connector.sink(PrunerChannels.RUN_FAILED);
        String malformed = "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"mem-bad-json\",";
        connector.source(PrunerChannels.RUN_REQUESTED).send(malformed);
        String unknownMethod = CODEC.encode(request("mem-unknown-method", null, stories(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5))).replace("\"magnitude\"", "\"random\"");
        connector.source(PrunerChannels.RUN_REQUESTED).send(unknownMethod);

        Message<String> message = await(failed, RunFailed.class,
                f -> f.excerpt() != null && malformed.equals(f.excerpt().text()));
        RunFailed deadLetter = CODEC.decode(message.getPayload(), RunFailed.class);
        assertEquals(RunStage.DECODE, deadLetter.stage());
        assertTrue(deadLetter.reason().contains("(json)"), deadLetter.reason());
        assertTrue(deadLetter.runId().startsWith("invalid-"), deadLetter.runId());
        assertKeyedWithCloudEvents(message, deadLetter.runId(), Topics.RUN_FAILED, RunFailed.TYPE);

        RunFailed unknown = CODEC.decode(await(failed, RunFailed.class, f -> f.runId().equals("mem-unknown-method"))
                .getPayload(), RunFailed.class);
        assertEquals(RunStage.DECODE, unknown.stage());
        assertTrue(unknown.reason().contains("prune.method") && unknown.reason().contains("random"), unknown.reason());
    }

    /** A dead letter far below Kafka's default max.request.size (1 MB), whatever the input was. */
    static final int SMALL_DEAD_LETTER_BYTES = 4096;

    @Test
    void aMegabyteOfJunkAndAnInputOfEscapedQuotesAreSmallDeadLettersAndTheNextRequestIsStillWorkedOn()
            throws Exception {
        InMemorySink<String> failed = connector.sink(PrunerChannels.RUN_FAILED);
        String junk = "junk ".repeat(200_000);
        String quotes = "{\"schemaVersion\":1,\"type\":\"run.requested\",\"runId\":\"mem-quotes\",\"note\":\""
                + "\\\"".repeat(300_000) + "\"}";
        connector.source(PrunerChannels.RUN_REQUESTED).send(junk);
        connector.source(PrunerChannels.RUN_REQUESTED).send(quotes);
        connector.source(PrunerChannels.RUN_REQUESTED).send(CODEC.encode(request("mem-after-junk", null,
                "/nonexistent/after-junk.bin", PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5))));

        for (String input : List.of(junk, quotes)) {
            Message<String> message = await(failed, RunFailed.class,
                    f -> f.excerpt() != null && f.excerpt().totalChars() == input.length());
            RunFailed deadLetter = CODEC.decode(message.getPayload(), RunFailed.class);
            assertTrue(message.getPayload().getBytes(StandardCharsets.UTF_8).length < SMALL_DEAD_LETTER_BYTES,
                    message.getPayload().length() + " characters: " + message.getPayload().substring(0, 200));
            assertEquals(RunStage.DECODE, deadLetter.stage());
            assertFalse(deadLetter.reason().isBlank());
            assertTrue(deadLetter.excerpt().cut());
            assertKeyedWithCloudEvents(message, deadLetter.runId(), Topics.RUN_FAILED, RunFailed.TYPE);
        }
        assertEquals("mem-quotes", CODEC.decode(await(failed, RunFailed.class, f -> f.excerpt() != null
                && f.excerpt().totalChars() == quotes.length()).getPayload(), RunFailed.class).runId());
        // the channel goes on: the next request is answered
        RunFailed next = CODEC.decode(await(failed, RunFailed.class, f -> f.runId().equals("mem-after-junk"))
                .getPayload(), RunFailed.class);
        assertEquals(RunStage.VALIDATE, next.stage());
    }

    @Test
    void unknownFieldsAndStringNumbersAreDeadLettersNamingTheField() throws Exception {
        InMemorySink<String> failed = connector.sink(PrunerChannels.RUN_FAILED);
        String base = CODEC.encode(request("mem-unknown-field", null, stories(),
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5)));
        connector.source(PrunerChannels.RUN_REQUESTED).send(base.replace("\"sparsity\":0.5", "\"sparsity\":0.5,\"spars1ty\":0.5"));
        connector.source(PrunerChannels.RUN_REQUESTED).send(base.replace("mem-unknown-field", "mem-string-number")
                .replace("\"sparsity\":0.5", "\"sparsity\":\"0.5\""));
        RunFailed unknown = CODEC.decode(await(failed, RunFailed.class, f -> f.runId().equals("mem-unknown-field"))
                .getPayload(), RunFailed.class);
        assertEquals(RunStage.DECODE, unknown.stage());
        assertEquals("prune.spars1ty: unknown field (known: dtype, layerSparsity, method, pattern, refine, sparsity, structured, weightBits, weightBlock, weightBudget, weightQuantizer)",
                unknown.reason());
        RunFailed string = CODEC.decode(await(failed, RunFailed.class, f -> f.runId().equals("mem-string-number"))
                .getPayload(), RunFailed.class);
        assertEquals("prune.sparsity: expected a number, got '0.5'", string.reason());
    }

    @Test
    void aModelPathOutsideTheRootsFailsAtValidateWithoutSayingWhetherItExists() throws Exception {
        InMemorySink<String> failed = connector.sink(PrunerChannels.RUN_FAILED);
        String missing = "/nonexistent/prunelab/model.bin";
        connector.source(PrunerChannels.RUN_REQUESTED).send(CODEC.encode(request("mem-missing-model", null, missing,
                PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5))));

        RunFailed event = CODEC.decode(await(failed, RunFailed.class, f -> f.runId().equals("mem-missing-model"))
                .getPayload(), RunFailed.class);
        assertEquals(RunStage.VALIDATE, event.stage());
        assertTrue(event.reason().startsWith("model.path: is outside the directories this lab reads from"),
                event.reason());
        assertFalse(event.reason().contains(missing), event.reason());
    }

    @Test
    void aRunOfACancelledSweepIsSkipped() throws Exception {
        InMemorySink<String> failed = connector.sink(PrunerChannels.RUN_FAILED);
        connector.source(PrunerChannels.SWEEP_CANCELLED).send(CODEC.encode(
                new SweepCancelled("mem-sweep", Instant.now(), "changed my mind")));
        connector.source(PrunerChannels.RUN_REQUESTED).send(CODEC.encode(request("mem-sweep-run-0", "mem-sweep",
                stories(), PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5))));

        RunFailed event = CODEC.decode(await(failed, RunFailed.class, f -> f.runId().equals("mem-sweep-run-0"))
                .getPayload(), RunFailed.class);
        assertEquals(RunStage.CANCELLED, event.stage());
        assertTrue(event.reason().contains("changed my mind"), event.reason());
        assertTrue(!Files.exists(store.root().resolve("mem-sweep-run-0")), "nothing was pruned");
    }

    @Test
    void aBadCancellationIsADeadLetterOfNoRunAndLaterCancellationsStillCount() throws Exception {
        InMemorySink<String> failed = connector.sink(PrunerChannels.RUN_FAILED);
        String poison = "{\"schemaVersion\":1,\"type\":\"sweep.cancelled\",\"sweepId\":\"mem-poison\","
                + "\"runId\":\"mem-victim\",\"occurredAt\":\"2026-01-31T12:00:00Z\"}";
        connector.source(PrunerChannels.SWEEP_CANCELLED).send(poison);
        connector.source(PrunerChannels.SWEEP_CANCELLED).send(CODEC.encode(
                new SweepCancelled("mem-after-poison", Instant.now(), "after the poison")));
        connector.source(PrunerChannels.RUN_REQUESTED).send(CODEC.encode(request("mem-after-poison-run-0",
                "mem-after-poison", stories(), PruneSpec.unstructured(PruneMethod.MAGNITUDE, 0.5))));

        RunFailed deadLetter = CODEC.decode(await(failed, RunFailed.class,
                f -> f.excerpt() != null && poison.equals(f.excerpt().text())).getPayload(), RunFailed.class);
        assertEquals(RunStage.DECODE, deadLetter.stage());
        assertTrue(deadLetter.reason().startsWith("runId: unknown field"), deadLetter.reason());
        assertTrue(deadLetter.runId().startsWith("invalid-"), "keyed as no run's, not as " + deadLetter.runId());
        RunFailed skipped = CODEC.decode(await(failed, RunFailed.class,
                f -> f.runId().equals("mem-after-poison-run-0")).getPayload(), RunFailed.class);
        assertEquals(RunStage.CANCELLED, skipped.stage());
    }

    @Test
    void theEstimatesWattsAreTheVocabularysDefaultsWhenNothingSetsThem() {
        assertEquals(CpuPowerDefaults.IDLE_WATTS_PER_CORE, powerModel.idleWattsPerCore());
        assertEquals(CpuPowerDefaults.FULL_WATTS_PER_CORE, powerModel.fullWattsPerCore());
    }

    @Test
    void everyPrunelabMetricHasHelpText() {
        MetricsPage.assertHelpedFamilies("prunelab_runs_started_total", "prunelab_runs_finished_total",
                "prunelab_runs_failed_total");
    }
}
