package dev.prunelab.kafka;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Quarkus test resource: an {@link InJvmKafka} broker for the test, with the service's topics created before the
 * application starts, and {@code kafka.bootstrap.servers} pointing at it. A service's subclass names the topics and
 * adds its own settings (a temporary artifact store, a host name, ...).
 */
public abstract class InJvmKafkaResource implements QuarkusTestResourceLifecycleManager {
    private static volatile String bootstrapServers;

    private final Collection<String> topics;
    private InJvmKafka kafka;

    /** @param topics the topics to create before the application starts */
    protected InJvmKafkaResource(Collection<String> topics) {
        this.topics = List.copyOf(topics);
    }

    /** Where the running test's broker listens, for the test's own producers and consumers. */
    public static String bootstrapServers() {
        return bootstrapServers;
    }

    /** The service's settings for the test; the broker is up and its topics exist. */
    protected Map<String, String> settings(InJvmKafka broker) {
        return Map.of();
    }

    @Override
    public final Map<String, String> start() {
        kafka = InJvmKafka.start();
        kafka.createTopics(topics);
        bootstrapServers = kafka.bootstrapServers();
        Map<String, String> config = new HashMap<>(settings(kafka));
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        return config;
    }

    @Override
    public final void stop() {
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
    }
}
