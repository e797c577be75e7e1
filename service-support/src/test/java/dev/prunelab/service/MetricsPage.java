package dev.prunelab.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.restassured.RestAssured;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A service's {@code /q/metrics} page in Prometheus' text format 0.0.4, as every service's test reads it to hold
 * each {@code prunelab_} family to a {@code # HELP} text (the check that {@code promtool check metrics} makes).
 * Shipped in service-support's test-jar, for the services' tests.
 */
public final class MetricsPage {
    private MetricsPage() {
    }

    /**
     * Scrapes the service under test (RestAssured's base, which a Quarkus test sets), keeps the page in
     * {@code target/scraped/metrics} for {@code deploy/prometheus/check-metrics.sh}, and asserts that it has
     * {@code families} and that every {@code prunelab_} family has HELP text.
     */
    public static void assertHelpedFamilies(String... families) {
        String page = RestAssured.given().accept("text/plain; version=0.0.4").get("/q/metrics")
                .then().statusCode(200).extract().asString();
        save(page, Path.of("target", "scraped", "metrics"));
        Map<String, String> help = prunelabHelp(page);
        assertTrue(help.keySet().containsAll(List.of(families)), help.toString());
        assertEquals(List.of(), withoutHelp(help), "families without # HELP text");
    }

    /** Every {@code prunelab_} family on the page with its HELP text ("" when it has none). */
    static Map<String, String> prunelabHelp(String page) {
        Map<String, String> help = new TreeMap<>();
        for (String line : page.split("\n")) {
            if (line.startsWith("# TYPE prunelab_")) {
                help.putIfAbsent(line.split(" ")[2], "");
            } else if (line.startsWith("# HELP prunelab_")) {
                String[] parts = line.split(" ", 4);
                help.put(parts[2], parts.length > 3 ? parts[3].strip() : "");
            }
        }
        return help;
    }

    /** The families of {@link #prunelabHelp} without HELP text. */
    static List<String> withoutHelp(Map<String, String> help) {
        return help.entrySet().stream().filter(e -> e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
    }

    private static void save(String page, Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, page);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
