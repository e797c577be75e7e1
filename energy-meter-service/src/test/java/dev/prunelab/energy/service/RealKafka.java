package dev.prunelab.energy.service;

import dev.prunelab.events.Topics;
import dev.prunelab.kafka.InJvmKafka;
import dev.prunelab.kafka.InJvmKafkaResource;
import dev.prunelab.service.TestDirectories;
import java.util.HashMap;
import java.util.Map;

/**
 * A real single-node KRaft broker in the test JVM, with every pipeline topic created, and the machine
 * {@link InMemorySamples} describes (the test moves its /proc/stat fixture).
 */
public class RealKafka extends InJvmKafkaResource {

    public RealKafka() {
        super(Topics.ALL);
    }

    @Override
    protected Map<String, String> settings(InJvmKafka broker) {
        Map<String, String> settings = new HashMap<>();
        settings.put("prunelab.host", InMemorySamples.HOST);
        settings.put("prunelab.energy.interval", "PT0.2S");
        settings.putAll(InMemorySamples.describedMachine(TestDirectories.create("energy-meter-machine-")));
        return settings;
    }
}
