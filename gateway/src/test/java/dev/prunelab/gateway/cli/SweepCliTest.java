package dev.prunelab.gateway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.prunelab.console.CommandLines;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
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
import picocli.CommandLine;

class SweepCliTest {

    record Result(int exitCode, String out, String err) {
    }

    static Result run(String... args) {
        return run(new SweepCli(), args);
    }

    static Result run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = CommandLines.of(command);
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void anUnknownMethodIsOneLineAndExitCode2() {
        Result r = run("--model", "m.bin", "--methods", "wanda,pruneall", "--sparsities", "0.5");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("unknown method 'pruneall' (expected magnitude|wanda|sparsegpt|ria|structured)"), r.err());
    }

    @Test
    void theHelpIsFormattedWithoutWarnings() {
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
        Result help;
        try {
            help = run("--help");
        } finally {
            System.setErr(stderr);
        }
        assertEquals(0, help.exitCode(), help.err());
        assertTrue(help.out().contains("its lower 95% bound"), help.out());
        assertTrue(help.out().contains("decode steps (default 192)"), help.out());
        assertEquals("", warnings.toString(StandardCharsets.UTF_8) + help.err(), "picocli's warnings");
    }

    @Test
    void invalidValuesAreOneLineAndExitCode2() {
        Result sparsity = run("--model", "m.bin", "--methods", "wanda", "--sparsities", "1.5");
        assertEquals(2, sparsity.exitCode());
        assertEquals("error: --sparsities: 1.5 is outside [0, 1)", sparsity.err().strip());

        Result noModel = run("--methods", "wanda", "--sparsities", "0.5");
        assertEquals(2, noModel.exitCode());
        assertEquals(1, noModel.err().lines().count(), noModel.err());
        assertTrue(noModel.err().contains("--model"), noModel.err());

        Result noStructured = run("--model", "m.bin", "--methods", "structured");
        assertEquals(2, noStructured.exitCode());
        assertEquals("error: --targets: is missing: method structured needs --targets, --ratios and --scores",
                noStructured.err().strip());
    }

    @Test
    void optionsBecomeTheSweepRequest() {
        SweepCli cli = new SweepCli();
        CommandLines.of(cli).parseArgs("--model", "m.bin", "--tokenizer", "t.bin", "--methods", "wanda,structured",
                "--sparsities", "0.3,0.5", "--patterns", "2:4", "--targets", "mlp+heads", "--ratios", "0.3",
                "--scores", "flap", "--calibration", "c.txt", "--samples", "8", "--window", "64", "--seed", "3",
                "--eval-windows", "4", "--eval-window", "128", "--latency");
        SweepRequest sweep = cli.request(Instant.parse("2026-01-31T12:00:00Z"));
        assertEquals("sweep-20260131-120000", sweep.sweepId());
        assertTrue(Path.of(sweep.model().path()).isAbsolute());
        assertEquals(4, sweep.evaluations().get(0).perplexity().maxWindows());
        assertEquals(128, sweep.evaluations().get(0).perplexity().window());
        assertEquals(16, sweep.evaluations().get(0).latency().newTokens());
        assertEquals(8, sweep.calibration().samples());
        // the dense reference + wanda x (0.3, 0.5, 2:4) + structured mlp+heads 0.3 flap
        List<RunRequested> runs = sweep.expand(Instant.EPOCH);
        assertEquals(5, runs.size());
        assertEquals("dense", runs.get(0).prune().label());
        cli = new SweepCli();
        CommandLines.of(cli).parseArgs("--model", "m.bin", "--methods", "wanda", "--sparsities", "0.5", "--no-dense");
        assertEquals(List.of("wanda 0.5"), cli.request(Instant.EPOCH).expand(Instant.EPOCH).stream()
                .map(r -> r.prune().label()).toList());
    }

    @Test
    void anUnreachableGatewayIsExitCode1() {
        // the network is stood in for: every connection is refused, as by a host where nothing listens
        List<String> tried = new CopyOnWriteArrayList<>();
        SweepCli refused = new SweepCli((url, token) -> new GatewayClient(url, token, request -> {
            tried.add(request.method() + " " + request.uri());
            throw new ConnectException("Connection refused");
        }));
        Result r = run(refused, "--model", "m.bin", "--methods", "wanda", "--sparsities", "0.5",
                "--gateway", "http://gateway.test:8080");
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertEquals("error: cannot reach the gateway at http://gateway.test:8080/ (is it running? ./lab up starts it)",
                r.err().strip());
        assertEquals(List.of("POST http://gateway.test:8080/api/sweeps"), tried, "one submission, no retry");
        assertEquals("", r.out());
    }

    /** A stand-in gateway: accepts the sweep, answers one in-progress poll, then the canned finished sweep. */
    @Test
    void submitsFollowsAndPrintsTheTable(@TempDir Path dir) throws Exception {
        List<String> posted = new CopyOnWriteArrayList<>();
        AtomicInteger polls = new AtomicInteger();
        String finished = SweepTableTest.canned();
        String running = finished.replace("\"status\": \"done\"", "\"status\": \"pruning\"")
                .replace("\"finished\": true", "\"finished\": false");
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/api/sweeps", exchange -> {
            String body;
            int status;
            if (exchange.getRequestMethod().equals("POST")) {
                posted.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
                status = 202;
                body = "{\"sweepId\":\"demo\",\"runIds\":[\"a\",\"b\",\"c\",\"d\"],\"published\":[]}";
            } else {
                status = 200;
                body = polls.incrementAndGet() == 1 ? running : finished;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        try {
            Path json = dir.resolve("out/sweep.json");
            Result r = run("--gateway", "http://127.0.0.1:" + server.getAddress().getPort(), "--model", "m.bin",
                    "--methods", "wanda,sparsegpt", "--sparsities", "0,0.5", "--sweep-id", "demo", "--json",
                    json.toString(), "--poll-millis", "10");
            assertEquals(1, r.exitCode(), "one run failed: " + r.out() + r.err());
            SweepRequest sent = new EventCodec().decodeSweep(posted.get(0));
            assertEquals("demo", sent.sweepId());
            assertTrue(r.out().contains("demo-bbbbbbbbbbbb  pruning"), r.out());
            assertTrue(r.out().contains("demo-bbbbbbbbbbbb  done"), r.out());
            assertTrue(r.out().contains("demo-dddddddddddd  failed  prune: out of memory"), r.out());
            assertTrue(r.out().contains("* recommendation"), r.out());
            JsonNode written = SweepJson.MAPPER.readTree(Files.readString(json));
            assertEquals("demo-cccccccccccc", written.path("recommendation").path("runId").asText());
        } finally {
            server.stop(0);
        }
    }
}
