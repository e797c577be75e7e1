package dev.prunelab.gateway.service;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * The Kafka client security settings of the messaging channels, for a client the gateway builds itself
 * ({@link EndOffsetsProbe}'s Admin): from the {@code kafka.*} configuration Quarkus gathers as
 * {@code @Identifier("default-kafka-broker") Map<String, Object>} (keys without the prefix), the Admin client's own
 * settings ({@link AdminClientConfig#configNames()}) among {@code security.protocol}, {@code sasl.*} and
 * {@code ssl.*}, non-empty values only, so TLS + SCRAM (deploy/k8s) reach it and an unset one keeps Kafka's default.
 */
public final class KafkaSecuritySettings {

    private KafkaSecuritySettings() {
    }

    /** The settings to copy, sorted by name. */
    public static Map<String, String> of(Map<String, ?> kafkaConfig) {
        Set<String> adminNames = AdminClientConfig.configNames();
        Map<String, String> copied = new TreeMap<>();
        if (kafkaConfig == null) {
            return copied;
        }
        kafkaConfig.forEach((name, value) -> {
            boolean security = name.equals(AdminClientConfig.SECURITY_PROTOCOL_CONFIG) || name.startsWith("sasl.")
                    || name.startsWith("ssl.");
            if (security && adminNames.contains(name) && value != null && !String.valueOf(value).isBlank()) {
                copied.put(name, String.valueOf(value).strip());
            }
        });
        return copied;
    }

    /** Adds {@link #of} to the Admin client's properties. */
    public static Properties copyInto(Properties properties, Map<String, ?> kafkaConfig) {
        properties.putAll(of(kafkaConfig));
        return properties;
    }
}
