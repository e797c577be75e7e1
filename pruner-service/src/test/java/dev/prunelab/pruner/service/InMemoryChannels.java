package dev.prunelab.pruner.service;

import dev.prunelab.service.TestDirectories;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.smallrye.reactive.messaging.memory.InMemoryConnector;
import java.util.HashMap;
import java.util.Map;

/** Every channel on the in-memory connector, and an artifact store in a fresh temporary directory. */
public class InMemoryChannels implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        Map<String, String> properties = new HashMap<>();
        properties.putAll(InMemoryConnector.switchIncomingChannelsToInMemory(PrunerChannels.RUN_REQUESTED,
                PrunerChannels.SWEEP_CANCELLED));
        properties.putAll(InMemoryConnector.switchOutgoingChannelsToInMemory(PrunerChannels.RUN_PROGRESS,
                PrunerChannels.MODEL_PRUNED, PrunerChannels.RUN_FAILED));
        properties.put("prunelab.artifacts.dir", TestDirectories.create("pruner-inmemory-artifacts").toString());
        properties.put("prunelab.pruner.threads", "1");
        return properties;
    }

    @Override
    public void stop() {
        InMemoryConnector.clear();
    }
}
