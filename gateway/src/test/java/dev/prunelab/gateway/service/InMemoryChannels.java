package dev.prunelab.gateway.service;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.util.HashMap;
import java.util.Map;

/** Every channel on the in-memory connector; no broker, so no replay to wait for. */
public class InMemoryChannels implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>();
        config.putAll(InMemoryConnector.switchIncomingChannelsToInMemory(PipelineEventsConsumer.CHANNEL));
        config.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory(RunRequestPublisher.RUN_REQUESTED,
                RunRequestPublisher.SWEEP_CANCELLED, RunRequestPublisher.SEARCH_REQUESTED));
        config.put("prunelab.gateway.catch-up", "false");
        return config;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}
