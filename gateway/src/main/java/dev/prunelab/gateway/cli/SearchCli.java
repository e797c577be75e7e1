package dev.prunelab.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.console.CommandLines;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.SearchView;
import dev.prunelab.gateway.SweepView;
import dev.prunelab.vocabulary.InvalidSetting;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./lab search}: submits a search (a JSON file in the shape of {@code POST /api/searches}, docs/search.md) to
 * the gateway, prints a line whenever its state moves, and once it is done the full runs' table, the front and why
 * it stopped. Exit 0 when the search ended by itself, 1 when it was cancelled, timed out or the gateway could not be
 * reached to submit it, 2 on a request the lab refuses (checked here before anything is sent, and by the gateway).
 * While following, a gateway that cannot be reached (restarting) is retried until the timeout.
 */
@Command(name = "search", mixinStandardHelpOptions = true, version = "prune-lab 0.1.0", sortOptions = false,
        description = "Submit a budgeted search (screens, successive halving, full runs of the promoted candidates) "
                + "to the gateway, follow it, and print its front.")
public final class SearchCli implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--gateway", paramLabel = "URL", defaultValue = "http://localhost:${env:LAB_GATEWAY_PORT:-8080}",
            description = "The gateway's base URL (default: ${DEFAULT-VALUE}).")
    String gateway;

    @Option(names = "--request", paramLabel = "FILE", required = true,
            description = "The search as JSON (the body of POST /api/searches; bench/search-stories15M.json is one).")
    Path request;

    @Option(names = "--model", paramLabel = "PATH",
            description = "Sets model.path (made absolute), so one request file serves any checkout.")
    Path model;

    @Option(names = "--search-id", paramLabel = "ID",
            description = "Sets searchId (default: the file's, else search-<UTC time>).")
    String searchId;

    @Option(names = "--json", paramLabel = "OUT", description = "Write the final search (GET /api/searches/ID) here.")
    Path json;

    @Option(names = "--sweep-json", paramLabel = "OUT",
            description = "Write the final full runs with their results (GET /api/sweeps/ID) here.")
    Path sweepJson;

    @Option(names = "--timeout-minutes", paramLabel = "M", defaultValue = "240",
            description = "Give up following after M minutes (the search goes on; default ${DEFAULT-VALUE}).")
    long timeoutMinutes;

    @Option(names = "--poll-millis", hidden = true, defaultValue = "2000")
    long pollMillis;

    private final SweepCli.Clients clients;

    public SearchCli() {
        this(GatewayClient::new);
    }

    SearchCli(SweepCli.Clients clients) {
        this.clients = clients;
    }

    public static void main(String[] args) {
        SweepCli.quietJdkLogging();
        System.exit(CommandLines.of(new SearchCli()).execute(args));
    }

    /** The request file with the options applied (the caller validates it as the gateway will). */
    String body(Instant now) throws IOException {
        JsonNode tree;
        try {
            tree = SweepJson.MAPPER.readTree(Files.readString(request));
        } catch (NoSuchFileException e) {
            throw new InvalidSetting("request", request + " does not exist");
        }
        if (!(tree instanceof ObjectNode object)) {
            throw new InvalidSetting("request", request + " does not hold a JSON object");
        }
        if (model != null) {
            ObjectNode modelNode = object.with("model");
            modelNode.put("path", model.toAbsolutePath().normalize().toString());
        }
        if (searchId != null) {
            object.put("searchId", searchId);
        } else if (!object.hasNonNull("searchId")) {
            object.put("searchId", "search-" + SweepCli.SWEEP_ID_TIME.format(now));
        }
        return SweepJson.MAPPER.writeValueAsString(object);
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        String body = body(Instant.now());
        SearchRequest search = new EventCodec().decodeSearch(body); // refuses a bad request before anything is sent
        GatewayClient client = clients.open(gateway, System.getenv(SweepCli.API_TOKEN_VARIABLE));
        Instant deadline = Instant.now().plus(Duration.ofMinutes(timeoutMinutes));
        try {
            if (SweepCli.submit(() -> client.submitSearch(body), "search", deadline, pollMillis, out, err) == null) {
                return 1;
            }
            out.println("submitted search " + search.searchId() + " to " + gateway + ": "
                    + search.candidates().size() + " candidates, one in " + search.keepOneIn() + " run in full");
            out.flush();
            return follow(client, search.searchId(), deadline, out, err);
        } catch (GatewayClient.UnreachableException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private int follow(GatewayClient client, String id, Instant deadline, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        String last = null;
        boolean unreachable = false;
        while (true) {
            GatewayClient.Reply reply;
            try {
                reply = client.search(id);
                unreachable = false;
            } catch (GatewayClient.UnreachableException e) {
                // a gateway restarting: the search lives in Kafka and goes on; keep following until the deadline
                if (!unreachable) {
                    out.println(SweepCli.SWEEP_ID_TIME.format(Instant.now()) + "  " + e.getMessage() + "; retrying");
                    out.flush();
                }
                unreachable = true;
                reply = new GatewayClient.Reply(503, "unreachable");
            }
            if (reply.status() == 200) {
                SearchView view = SweepJson.MAPPER.readValue(reply.body(), SearchView.class);
                String line = line(view);
                if (!line.equals(last)) {
                    out.println(SweepCli.SWEEP_ID_TIME.format(Instant.now()) + "  " + line);
                    out.flush();
                    last = line;
                }
                if (view.status().equals("done") || view.status().equals("cancelled")) {
                    return finish(client, view, reply.body(), out, err);
                }
            } else if (reply.status() != 503) {
                err.println("error: the gateway answered " + reply.status() + ": " + reply.error());
                return 1;
            }
            if (!Instant.now().isBefore(deadline)) {
                err.println("error: timed out after " + timeoutMinutes + " minutes; the search goes on "
                        + "(GET /api/searches/" + id + ")");
                return 1;
            }
            Thread.sleep(pollMillis);
        }
    }

    static String line(SearchView view) {
        SearchView.Counts c = view.counts();
        return String.format(Locale.ROOT, "%s: screened %d/%d, promoted %d, full runs %d/%d, published %d, "
                        + "in flight %d%s", view.status(), c.screened(), c.candidates(), c.promoted(), c.fullRuns(),
                c.promoted(), c.published(), c.inFlight(),
                view.stopReason() == null ? "" : " (" + view.stopReason() + ")");
    }

    private int finish(GatewayClient client, SearchView view, String body, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        GatewayClient.Reply sweep = client.sweep(view.searchId(),
                Constraints.perplexityOnly(Constraints.DEFAULT_MAX_PERPLEXITY_INCREASE));
        if (sweep.status() != 200) {
            err.println("error: GET /api/sweeps/" + view.searchId() + ": the gateway answered " + sweep.status()
                    + ": " + sweep.error());
            return 1;
        }
        SweepView full = GatewayClient.parse(sweep.body());
        out.println();
        out.print(SweepTable.format(full));
        out.println("search front (" + view.objectives() + "): " + String.join(", ", view.front()));
        if (view.hypervolume() != null) {
            out.printf(Locale.ROOT, "hypervolume: %.4f%n", view.hypervolume());
        }
        out.println("stopped: " + view.stopReason());
        SweepCli.write(json, body, out);
        SweepCli.write(sweepJson, sweep.body(), out);
        out.flush();
        return view.status().equals("done") ? 0 : 1;
    }
}
