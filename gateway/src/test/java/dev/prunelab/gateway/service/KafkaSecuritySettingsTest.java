package dev.prunelab.gateway.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class KafkaSecuritySettingsTest {

    @Test
    void copiesTheSecuritySettingsWithValuesAndNothingElse() {
        Map<String, Object> kafka = new HashMap<>();
        kafka.put("bootstrap.servers", "prunelab-kafka-bootstrap:9093");
        kafka.put("security.protocol", "SASL_SSL");
        kafka.put("sasl.mechanism", "SCRAM-SHA-512");
        kafka.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"prunelab-gateway\" password=\"secret\";");
        kafka.put("ssl.truststore.location", "/etc/prunelab/kafka-ca/ca.p12");
        kafka.put("ssl.truststore.password", "changeit");
        kafka.put("ssl.truststore.type", "PKCS12");
        kafka.put("ssl.keystore.location", "");      // empty: Kafka's default stays
        kafka.put("sasl.login.class", " ");          // blank too
        kafka.put("ssl.made.up", "x");               // not an Admin client setting
        kafka.put("group.id", "prunelab-gateway-1");  // not security
        kafka.put("value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer");
        kafka.put("ssl.endpoint.identification.algorithm", "https");
        Map<String, String> copied = KafkaSecuritySettings.of(kafka);
        assertEquals(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", kafka.get("sasl.jaas.config"), "ssl.truststore.location", "/etc/prunelab/kafka-ca/ca.p12",
                "ssl.truststore.password", "changeit", "ssl.truststore.type", "PKCS12",
                "ssl.endpoint.identification.algorithm", "https"), copied);

        Properties admin = new Properties();
        admin.put("bootstrap.servers", "prunelab-kafka-bootstrap:9093");
        KafkaSecuritySettings.copyInto(admin, kafka);
        assertEquals("SASL_SSL", admin.get("security.protocol"));
        assertEquals(8, admin.size());
    }

    @Test
    void plaintextByDefault() {
        assertEquals(Map.of("security.protocol", "PLAINTEXT"), KafkaSecuritySettings.of(Map.of(
                "security.protocol", "PLAINTEXT", "sasl.mechanism", "", "sasl.jaas.config", "",
                "bootstrap.servers", "localhost:9092")));
        assertEquals(Map.of(), KafkaSecuritySettings.of(null));
    }
}
