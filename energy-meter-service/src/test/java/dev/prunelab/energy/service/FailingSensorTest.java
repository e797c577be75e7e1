package dev.prunelab.energy.service;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import java.time.Instant;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;

/** A sensor that fails every tick makes the service not live (so an orchestrator restarts it). */
@QuarkusTest
@WithTestResource(value = BrokenSensor.class, scope = TestResourceScope.RESTRICTED_TO_CLASS)
class FailingSensorTest {

    @Test
    void livenessFailsAfterConsecutiveFailedTicks() {
        Instant deadline = Instant.now().plus(EnergyMeterTest.LIMIT);
        while (RestAssured.get("/q/health/live").statusCode() != 503) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("liveness still up after " + EnergyMeterTest.LIMIT + " of failing ticks");
            }
            EnergyMeterTest.pause();
        }
        RestAssured.get("/q/health/live").then().statusCode(503)
                .body(Matchers.containsString("/nonexistent/proc/stat"));
        RestAssured.get("/q/metrics").then().statusCode(200)
                .body(Matchers.matchesPattern("(?s).*prunelab_power_sampling_failures_total\\{[^}]*\\} [1-9].*"));
    }
}
