package dev.prunelab.evaluator.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import dev.prunelab.kafka.InJvmKafkaResource;
import dev.prunelab.service.TestDirectories;
import java.util.HashMap;
import java.util.Map;

/** A real single-node KRaft broker in the test JVM, with every pipeline topic created, and a fresh store. */
public class RealKafka extends InJvmKafkaResource {

    public RealKafka() {
        super(Topics.ALL);
    }

    @Override
    protected Map<String, String> settings(InJvmKafka broker) {
        Map<String, String> settings = new HashMap<>(InMemoryChannels.pinnedMachine());
        settings.put("prunelab.artifacts.dir", TestDirectories.create("evaluator-store-").toString());
        settings.put("prunelab.host", InMemoryChannels.HOST);
        return settings;
    }
}
