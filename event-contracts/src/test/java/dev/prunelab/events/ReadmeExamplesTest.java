package dev.prunelab.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every JSON example of the events page (docs/events.md) is what the codec accepts, so users can copy them. */
class ReadmeExamplesTest {

    private final EventCodec codec = new EventCodec();

    static List<String> examples() throws IOException {
        Path page = Path.of("..", "docs", "events.md");
        assertTrue(Files.isRegularFile(page), "docs/events.md exists");
        String section = Files.readString(page);
        List<String> blocks = new ArrayList<>();
        for (int at = section.indexOf("```json\n"); at >= 0; at = section.indexOf("```json\n", at + 1)) {
            int start = at + "```json\n".length();
            blocks.add(section.substring(start, section.indexOf("```", start)));
        }
        return blocks;
    }

    @Test
    void everyExampleDecodesAndEveryTypeHasOne() throws IOException {
        List<String> blocks = examples();
        List<Event> events = new ArrayList<>();
        SweepRequest sweep = null;
        for (String json : blocks) {
            if (json.contains("\"sweepId\"") && !json.contains("\"type\"")) {
                sweep = codec.decodeSweep(json);
            } else {
                events.add(codec.decode(json));
            }
        }
        Set<String> types = events.stream().map(Event::type).collect(Collectors.toSet());
        assertEquals(Set.of(RunRequested.TYPE, RunProgress.TYPE, ModelPruned.TYPE, ModelEvaluated.TYPE,
                PowerSample.TYPE, RunFailed.TYPE, SweepCancelled.TYPE, SearchRequested.TYPE), types);
        SearchRequested search = (SearchRequested) events.stream().filter(e -> e instanceof SearchRequested)
                .findFirst().orElseThrow();
        assertEquals(2 * 2 * 2 * 2 + 1, search.search().candidates().size(), "its space, with dense w4");
        assertEquals(12, sweep.expand(Instant.parse("2026-01-31T12:00:00Z")).size());
        RunFailed failed = (RunFailed) events.stream().filter(e -> e instanceof RunFailed).findFirst().orElseThrow();
        InvalidEventException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidEventException.class,
                () -> codec.decode(failed.excerpt().text()));
        assertEquals(failed.reason(), e.getMessage(), "the dead-letter example's reason is what the codec says");
    }
}
