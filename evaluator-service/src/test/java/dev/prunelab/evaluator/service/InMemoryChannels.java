package dev.prunelab.evaluator.service;

import dev.prunelab.service.TestDirectories;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
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
        return Map.of("prunelab.host-lock.dir", TestDirectories.create("evaluator-host-lock-").toString(),
                "prunelab.energy.source", "estimate",
                "prunelab.energy.powercap", "/nonexistent/powercap");
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        config.putAll(InMemoryConnector.switchIncomingChannelsToInMemory("model-pruned"));
        config.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory("model-evaluated", "run-progress",
                "run-failed"));
        config.put("prunelab.artifacts.dir", TestDirectories.create("evaluator-store-").toString());
        config.put("prunelab.host", HOST);
        config.putAll(pinnedMachine());
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}
