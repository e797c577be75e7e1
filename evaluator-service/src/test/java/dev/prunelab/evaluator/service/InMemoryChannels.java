package dev.prunelab.evaluator.service;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/** The service's channels on the in-memory connector, a fresh artifact store and a fixed host name. */
public class InMemoryChannels implements QuarkusTestResourceLifecycleManager {

    static final String HOST = "test-host";

    /**
     * What the service would otherwise take from the shell (PRUNELAB_HOST_LOCK, PRUNELAB_ENERGY_SOURCE) or the
     * machine (RAPL under /sys/class/powercap): a host lock of its own that no other process shares, the labelled
     * estimate, no powercap to read.
     */
    static Map<String, String> pinnedMachine() {
        try {
            return Map.of("prunelab.host-lock.dir", Files.createTempDirectory("evaluator-host-lock-").toString(),
                    "prunelab.energy.source", "estimate",
                    "prunelab.energy.powercap", "/nonexistent/powercap");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        config.putAll(InMemoryConnector.switchIncomingChannelsToInMemory("model-pruned"));
        config.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory("model-evaluated", "run-progress",
                "run-failed"));
        try {
            config.put("prunelab.artifacts.dir", Files.createTempDirectory("evaluator-store-").toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        config.put("prunelab.host", HOST);
        config.putAll(pinnedMachine());
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}
