package dev.prunelab.gateway.service;

import dev.prunelab.events.Topics;
import dev.prunelab.gateway.ReplayCatchUp;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * At start, reads the begin and end offsets of every pipeline topic with a Kafka Admin client (retrying until the
 * broker answers) and hands them to {@link ReplayCatchUp}: the gateway is ready once its consumer has read that far.
 * A topic that does not exist yet has nothing to replay. With {@code prunelab.gateway.catch-up=false} (tests on the
 * in-memory connector) there is nothing to wait for.
 */
@ApplicationScoped
public class EndOffsetsProbe {

    @Inject
    GatewayState state;

    @ConfigProperty(name = "prunelab.gateway.catch-up", defaultValue = "true")
    boolean enabled;

    @ConfigProperty(name = "kafka.bootstrap.servers", defaultValue = "localhost:9092")
    String bootstrapServers;

    /** The kafka.* configuration (prefix stripped): its security settings go to the Admin client too. */
    @Inject
    @Identifier("default-kafka-broker")
    Instance<Map<String, Object>> kafkaConfig;

    private volatile boolean stopping;

    void onStart(@Observes StartupEvent event) {
        if (!enabled) {
            state.catchUp().skip();
            return;
        }
        Thread probe = new Thread(this::probeUntilAnswered, "gateway-end-offsets");
        probe.setDaemon(true);
        probe.start();
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
    }

    private void probeUntilAnswered() {
        while (!stopping) {
            try {
                Map<String, long[]> offsets = offsets();
                state.catchUp().target(offsets);
                Log.infof("replaying %d partitions with records up to their end offsets at start", offsets.values()
                        .stream().filter(o -> o[1] > o[0]).count());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                Log.warnf("cannot read end offsets from Kafka at %s yet (%s); retrying", bootstrapServers, e.getMessage());
                try {
                    TimeUnit.SECONDS.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** "topic/partition" -> {begin, end} of every existing pipeline topic. */
    private Map<String, long[]> offsets() throws InterruptedException, ExecutionException,
            TimeoutException {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        KafkaSecuritySettings.copyInto(properties, kafkaConfig.isResolvable() ? kafkaConfig.get() : Map.of());
        try (Admin admin = Admin.create(properties)) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : Topics.ALL) {
                try {
                    TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames()
                            .get(20, TimeUnit.SECONDS).get(topic);
                    description.partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                        throw e;
                    }
                }
            }
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.forEach(p -> {
                earliest.put(p, OffsetSpec.earliest());
                latest.put(p, OffsetSpec.latest());
            });
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> begins =
                    admin.listOffsets(earliest).all().get(20, TimeUnit.SECONDS);
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
                    admin.listOffsets(latest).all().get(20, TimeUnit.SECONDS);
            Map<String, long[]> offsets = new HashMap<>();
            for (TopicPartition p : partitions) {
                offsets.put(ReplayCatchUp.key(p.topic(), p.partition()),
                        new long[] {begins.get(p).offset(), ends.get(p).offset()});
            }
            return offsets;
        }
    }
}
