package dev.prunelab.energy.service;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.util.HashMap;
import java.util.Map;

/** The sample channel on the in-memory connector, a fast interval and a fixed host name. */
public class InMemorySamples implements QuarkusTestResourceLifecycleManager {

    static final String HOST = "meter-test-host";

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(InMemoryConnector.switchOutgoingChannelsToInMemory("power-sample"));
        config.put("prunelab.host", HOST);
        config.put("prunelab.energy.interval", "PT0.2S");
        config.put("prunelab.energy.nvml", "false");
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}
