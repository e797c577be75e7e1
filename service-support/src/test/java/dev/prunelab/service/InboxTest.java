package dev.prunelab.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.ModelRef;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunFailed;
import dev.prunelab.events.RunRequested;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.RunStage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.junit.jupiter.api.Test;

class InboxTest {

    private static final EventCodec CODEC = new EventCodec();

    private static String request(String runId, Instant at) {
        return CODEC.encode(new RunRequested(runId, at, "s", new ModelRef("/m.bin", null),
                PruneSpec.unstructured(PruneMethod.WANDA, 0.5), null, null));
    }

    @Test
    void theSameRunRequestPublishedTwiceIsWorkedOnOnceEvenAtAnotherTime() {
        List<RunFailed> deadLetters = new ArrayList<>();
        Inbox<RunRequested> inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), deadLetters::add);
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        assertTrue(inbox.receive(Message.of(request("a", t0))).isPresent());
        // a second gateway publishing the same sweep a few seconds later
        assertTrue(inbox.receive(Message.of(request("a", t0.plusSeconds(3)))).isEmpty());
        assertTrue(inbox.receive(Message.of(request("b", t0))).isPresent());
        assertEquals(List.of(), deadLetters);
    }

    @Test
    void anUndecodableRecordIsDeadLetteredAtDecode() {
        List<RunFailed> deadLetters = new ArrayList<>();
        Inbox<RunRequested> inbox = new Inbox<>(RunRequested.class, Clock.systemUTC(), deadLetters::add);
        assertTrue(inbox.receive(Message.of("{\"type\":")).isEmpty());
        assertEquals(1, deadLetters.size());
        assertEquals(RunStage.DECODE, deadLetters.get(0).stage());
    }
}
