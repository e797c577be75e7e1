package dev.prunelab.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.gateway.SearchView;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SearchCliTest {

    private static final String REQUEST = """
            {"model": {"path": "elsewhere.bin"}, "methods": ["wanda"], "sparsities": [0.5, 0.7],
             "evaluation": {"perplexity": {"maxWindows": 200}, "energy": {}}}
            """;

    @Test
    void aRefusedRequestIsOneLineAndExitCode2BeforeAnythingIsSent(@TempDir Path dir) throws Exception {
        List<String> sent = new CopyOnWriteArrayList<>();
        SearchCli cli = new SearchCli((url, token) -> new GatewayClient(url, token, request -> {
            sent.add(request.uri().toString());
            throw new java.net.ConnectException("refused");
        }));
        Path file = Files.writeString(dir.resolve("search.json"), REQUEST.replace("\"methods\"", "\"maxRuns\": 3, \"methods\""));
        SweepCliTest.Result small = SweepCliTest.run(cli, "--request", file.toString());
        assertEquals(2, small.exitCode());
        assertEquals("error: maxRuns: 3 is too small: the dense run, its screen, the 2 candidates' screens and one "
                + "full run need 5", small.err().strip());
        SweepCliTest.Result missing = SweepCliTest.run(new SearchCli(), "--request", dir.resolve("none.json").toString());
        assertEquals(2, missing.exitCode());
        assertTrue(missing.err().strip().startsWith("error: --request: ") && missing.err().strip().endsWith(
                "none.json does not exist"), missing.err());
        assertEquals(List.of(), sent);
    }

    /** A stand-in gateway: accepts the search, answers it running once, then done, then its full runs' sweep. */
    @Test
    void submitsFollowsAndPrintsTheFront(@TempDir Path dir) throws Exception {
        List<String> posted = new CopyOnWriteArrayList<>();
        AtomicInteger polls = new AtomicInteger();
        SearchView.Counts screening = new SearchView.Counts(2, 1, 0, 0, 3, 2);
        SearchView.Counts done = new SearchView.Counts(2, 2, 1, 1, 5, 0);
        Instant t0 = Instant.parse("2026-12-07T12:00:00Z");
        String running = SweepJson.MAPPER.writeValueAsString(new SearchView("demo", "running", null, "m.bin", "d",
                "demo-screen", t0, null, null, screening, List.of("d"), "perplexity, decodeEnergyRatio", null, List.of()));
        String finished = SweepJson.MAPPER.writeValueAsString(new SearchView("demo", "done",
                "every promoted candidate ran", "m.bin", "d", "demo-screen", t0, null, null, done,
                List.of("d", "demo-cccccccccccc"), "perplexity, decodeEnergyRatio", 0.25, List.of()));
        String sweep = SweepTableTest.canned();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/", exchange -> {
            String body;
            int status = 200;
            String path = exchange.getRequestURI().getPath();
            if (exchange.getRequestMethod().equals("POST")) {
                posted.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                status = 202;
                body = "{\"searchId\":\"demo\",\"accepted\":true,\"published\":[\"a\",\"b\"]}";
            } else if (path.equals("/api/searches/demo")) {
                body = polls.incrementAndGet() == 1 ? running : finished;
            } else {
                body = sweep;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        try {
            Path file = Files.writeString(dir.resolve("search.json"), REQUEST);
            Path json = dir.resolve("out/search.json");
            SweepCliTest.Result r = SweepCliTest.run(new SearchCli(), "--gateway", "http://127.0.0.1:"
                    + server.getAddress().getPort(), "--request", file.toString(), "--model", "m.bin",
                    "--search-id", "demo", "--json", json.toString(), "--poll-millis", "10");
            assertEquals(0, r.exitCode(), r.out() + r.err());
            SearchRequest sent = new EventCodec().decodeSearch(posted.get(0));
            assertEquals("demo", sent.searchId());
            assertEquals(Path.of("m.bin").toAbsolutePath().toString(), sent.model().path(), "--model wins");
            assertTrue(r.out().contains("running: screened 1/2, promoted 0, full runs 0/0, published 3, in flight 2"),
                    r.out());
            assertTrue(r.out().contains("done: screened 2/2, promoted 1, full runs 1/1, published 5, in flight 0 "
                    + "(every promoted candidate ran)"), r.out());
            assertTrue(r.out().contains("search front (perplexity, decodeEnergyRatio): d, demo-cccccccccccc"), r.out());
            assertTrue(r.out().contains("hypervolume: 0.2500"), r.out());
            assertTrue(r.out().contains("* recommendation"), r.out());
            assertEquals("done", SweepJson.MAPPER.readTree(Files.readString(json)).path("status").asText());
        } finally {
            server.stop(0);
        }
    }
}
