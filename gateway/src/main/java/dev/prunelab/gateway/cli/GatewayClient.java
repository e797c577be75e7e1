package dev.prunelab.gateway.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.SweepView;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The gateway's REST API over {@link HttpClient}; no framework. */
final class GatewayClient {

    /** A status and body; {@code error} is the API's {@code {"error": ...}} text when there is one. */
    record Reply(int status, String body) {
        String error() {
            try {
                JsonNode node = SweepJson.MAPPER.readTree(body);
                return node != null && node.hasNonNull("error") ? node.get("error").asText() : body;
            } catch (JsonProcessingException e) {
                return body;
            }
        }
    }

    /** The gateway could not be reached at all. */
    static final class UnreachableException extends IOException {
        private static final long serialVersionUID = 1L;

        UnreachableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** How a request reaches the gateway: {@link HttpClient} but in tests, which stand in for the network. */
    @FunctionalInterface
    interface Transport {
        HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException;

        /** The JDK's HTTP client, giving up on a connection after 10 s. */
        static Transport http() {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            return request -> http.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    private final URI base;
    private final String apiToken;
    private final Transport transport;

    /** @param apiToken the bearer token state-changing requests send (the gateway's prunelab.api-token), or null */
    GatewayClient(String baseUrl, String apiToken) {
        this(baseUrl, apiToken, Transport.http());
    }

    GatewayClient(String baseUrl, String apiToken, Transport transport) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.apiToken = apiToken;
        this.transport = transport;
    }

    Reply submitSweep(String json) throws IOException, InterruptedException {
        return post("api/sweeps", json);
    }

    Reply submitSearch(String json) throws IOException, InterruptedException {
        return post("api/searches", json);
    }

    /** A state-changing request: JSON, with the bearer token when there is one. */
    private Reply post(String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (apiToken != null && !apiToken.isBlank()) {
            request.header("Authorization", "Bearer " + apiToken.strip());
        }
        return send(request);
    }

    Reply search(String searchId) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve("api/searches/"
                + URLEncoder.encode(searchId, StandardCharsets.UTF_8))).GET());
    }

    Reply sweep(String sweepId, Constraints constraints) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve("api/sweeps/" + URLEncoder.encode(sweepId, StandardCharsets.UTF_8)
                + "?maxPerplexityIncrease=" + constraints.maxPerplexityIncrease()
                + (constraints.minSpeedup() == null ? "" : "&minSpeedup=" + constraints.minSpeedup())
                + (constraints.maxMemoryMb() == null ? "" : "&maxMemoryMb=" + constraints.maxMemoryMb()))).GET());
    }

    Reply emissions(String sweepId) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve("api/sweeps/" + URLEncoder.encode(sweepId, StandardCharsets.UTF_8)
                + "/emissions.csv")).GET(), "text/csv");
    }

    static SweepView parse(String json) throws JsonProcessingException {
        return SweepJson.MAPPER.readValue(json, SweepView.class);
    }

    private Reply send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return send(request, "application/json");
    }

    private Reply send(HttpRequest.Builder request, String accept) throws IOException, InterruptedException {
        try {
            HttpResponse<String> response = transport.send(request.timeout(Duration.ofSeconds(60))
                    .header("Accept", accept).build());
            return new Reply(response.statusCode(), response.body());
        } catch (ConnectException e) {
            throw new UnreachableException("cannot reach the gateway at " + base + " (is it running? ./lab up starts it)", e);
        }
    }
}
