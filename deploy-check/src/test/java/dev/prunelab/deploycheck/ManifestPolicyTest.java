package dev.prunelab.deploycheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the rendered manifests must say beyond their schemas (issue 12, deploy/README.md): Kafka over TLS with
 * SCRAM and ACLs that give each service exactly the topics and groups its application.properties uses; only the
 * owner of a topic writes it; no service account tokens; default-deny ingress; a disruption budget per Deployment
 * that never blocks a drain of a single replica; the evaluator recreated; GPU variables only with a GPU; TLS on
 * the Ingress; the operator's PrometheusRule equal to deploy/prometheus/prunelab-alerts.yml.
 */
class ManifestPolicyTest {

    /** Who may write each topic (docs/services.md and docs/events.md; users.yaml). */
    private static final Map<String, Set<String>> WRITERS = Map.of(
            "prunelab.run.requested", Set.of("prunelab-gateway"),
            "prunelab.sweep.cancelled", Set.of("prunelab-gateway"),
            "prunelab.search.requested", Set.of("prunelab-gateway"),
            "prunelab.model.pruned", Set.of("prunelab-pruner"),
            "prunelab.model.evaluated", Set.of("prunelab-evaluator"),
            "prunelab.power.sample", Set.of("prunelab-energy-meter"),
            "prunelab.run.progress", Set.of("prunelab-pruner", "prunelab-evaluator"),
            "prunelab.run.failed", Set.of("prunelab-pruner", "prunelab-evaluator"));

    private static final String SAMPLE_UUID = "0b6c4d3e-1f2a-4b5c-8d9e-0a1b2c3d4e5f";

    static Stream<String> targets() {
        return Renders.TARGETS.stream();
    }

    @ParameterizedTest
    @MethodSource("targets")
    void kafkaListenersAreTlsWithScramAndAuthorizationIsSimple(String target) {
        JsonNode kafka = one(Renders.documents(target), "Kafka");
        JsonNode listeners = kafka.at("/spec/kafka/listeners");
        assertTrue(listeners.size() > 0);
        for (JsonNode listener : listeners) {
            assertTrue(listener.path("tls").asBoolean(), "listener " + listener.path("name") + " without TLS");
            assertEquals("scram-sha-512", listener.at("/authentication/type").asText(),
                    "listener " + listener.path("name") + " authentication");
            assertTrue(listener.path("networkPolicyPeers").size() > 0,
                    "listener " + listener.path("name") + " open to every pod (no networkPolicyPeers)");
        }
        assertEquals("simple", kafka.at("/spec/kafka/authorization/type").asText());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void everyServiceConnectsWithItsOwnKafkaUser(String target) {
        List<JsonNode> documents = Renders.documents(target);
        JsonNode env = named(documents, "ConfigMap", "prunelab-env").path("data");
        JsonNode listener = one(documents, "Kafka").at("/spec/kafka/listeners/0");
        assertEquals("SASL_SSL", env.path("KAFKA_SECURITY_PROTOCOL").asText());
        assertEquals("SCRAM-SHA-512", env.path("KAFKA_SASL_MECHANISM").asText());
        assertEquals("PKCS12", env.path("KAFKA_SSL_TRUSTSTORE_TYPE").asText());
        assertEquals("prunelab-kafka-bootstrap:" + listener.path("port").asInt(),
                env.path("KAFKA_BOOTSTRAP_SERVERS").asText());
        String truststore = env.path("KAFKA_SSL_TRUSTSTORE_LOCATION").asText();

        Set<String> users = names(documents, "KafkaUser");
        Map<String, String> userOfContainer = userOfContainer(documents);
        assertEquals(Set.of("gateway", "pruner-service", "evaluator-service", "energy-meter-service"),
                userOfContainer.keySet(), "containers that read the Kafka settings");
        assertEquals(userOfContainer.size(), new HashSet<>(userOfContainer.values()).size(),
                "two containers share a Kafka user: " + userOfContainer);
        assertTrue(users.containsAll(userOfContainer.values()), "a secret that no KafkaUser makes: "
                + userOfContainer + " vs " + users);

        for (JsonNode deployment : kind(documents, "Deployment")) {
            JsonNode pod = deployment.at("/spec/template/spec");
            for (JsonNode container : pod.path("containers")) {
                JsonNode password = envVar(container, "KAFKA_SSL_TRUSTSTORE_PASSWORD");
                assertEquals("prunelab-cluster-ca-cert", password.at("/valueFrom/secretKeyRef/name").asText());
                assertEquals("ca.password", password.at("/valueFrom/secretKeyRef/key").asText());
                assertEquals("sasl.jaas.config",
                        envVar(container, "KAFKA_SASL_JAAS_CONFIG").at("/valueFrom/secretKeyRef/key").asText());
                // The truststore file: a mount of the cluster CA secret's ca.p12.
                JsonNode mount = stream(container.path("volumeMounts"))
                        .filter(m -> truststore.startsWith(m.path("mountPath").asText() + "/")).findFirst()
                        .orElseThrow(() -> new AssertionError(container.path("name") + " does not mount " + truststore));
                JsonNode volume = stream(pod.path("volumes"))
                        .filter(v -> v.path("name").asText().equals(mount.path("name").asText())).findFirst()
                        .orElseThrow();
                assertEquals("prunelab-cluster-ca-cert", volume.at("/secret/secretName").asText());
                String file = truststore.substring(mount.path("mountPath").asText().length() + 1);
                assertTrue(stream(volume.at("/secret/items"))
                        .anyMatch(i -> i.path("key").asText().equals("ca.p12") && i.path("path").asText().equals(file)));
            }
        }
    }

    /** Each user may do exactly what its service's application.properties does on Kafka, no more. */
    @ParameterizedTest
    @MethodSource("targets")
    void aclsGrantEachServiceExactlyItsTopicsAndGroups(String target) throws IOException {
        List<JsonNode> documents = Renders.documents(target);
        for (Map.Entry<String, String> entry : userOfContainer(documents).entrySet()) {
            String service = entry.getKey();
            JsonNode user = named(documents, "KafkaUser", entry.getValue());
            Channels channels = Channels.of(Renders.repo().resolve(service + "/src/main/resources/application.properties"));
            for (String topic : channels.reads) {
                assertTrue(allowed(user, "topic", topic, "Read"), service + " cannot read " + topic);
            }
            for (String group : channels.groups) {
                assertTrue(allowed(user, "group", group, "Read"), service + " cannot use group " + group);
            }
            for (String topic : channels.writes) {
                assertTrue(allowed(user, "topic", topic, "Write"), service + " cannot write " + topic);
            }
            for (String topic : WRITERS.keySet()) {
                assertEquals(channels.writes.contains(topic), allowed(user, "topic", topic, "Write"),
                        service + " Write on " + topic);
                assertEquals(channels.reads.contains(topic), allowed(user, "topic", topic, "Read"),
                        service + " Read on " + topic);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void onlyTheOwnerWritesEachTopic(String target) {
        List<JsonNode> documents = Renders.documents(target);
        Set<String> topics = kind(documents, "KafkaTopic").stream().map(t -> t.at("/spec/topicName").asText())
                .collect(Collectors.toCollection(TreeSet::new));
        assertEquals(new TreeSet<>(WRITERS.keySet()), topics);
        Map<String, Set<String>> writers = new TreeMap<>();
        for (String topic : topics) {
            for (JsonNode user : kind(documents, "KafkaUser")) {
                if (allowed(user, "topic", topic, "Write")) {
                    writers.computeIfAbsent(topic, t -> new TreeSet<>()).add(user.at("/metadata/name").asText());
                }
            }
        }
        assertEquals(new TreeMap<>(WRITERS), writers);
    }

    /**
     * Topics kept forever, compacted by key (docs/deployment.md, docs/services.md "Gateway state"): the requests, and every event that ends a run, so
     * that a gateway replaying them after a week never shows a failed run as queued (run.failed expired while its
     * run.requested stayed). The others are history, kept 7 days.
     */
    private static final Set<String> COMPACTED = Set.of("prunelab.run.requested", "prunelab.sweep.cancelled",
            "prunelab.search.requested", "prunelab.model.pruned", "prunelab.model.evaluated", "prunelab.run.failed");

    @ParameterizedTest
    @MethodSource("targets")
    void terminalEventsLiveAsLongAsTheRequestsTheyEndAndTheLocalTopicsAgree(String target) throws IOException {
        Map<String, Map<String, String>> local = localTopicConfigs();
        Map<String, JsonNode> topics = new TreeMap<>();
        kind(Renders.documents(target), "KafkaTopic").forEach(t -> topics.put(t.at("/spec/topicName").asText(),
                t.at("/spec/config")));
        assertEquals(new TreeSet<>(local.keySet()), new TreeSet<>(topics.keySet()),
                "the topics of deploy/local/lab-services.sh (TOPIC_CONFIG) and of the KafkaTopics");
        for (Map.Entry<String, JsonNode> topic : topics.entrySet()) {
            String name = topic.getKey();
            JsonNode config = topic.getValue();
            if (COMPACTED.contains(name)) {
                assertEquals("compact", config.path("cleanup.policy").asText(), name + " cleanup.policy");
                assertTrue(config.path("retention.ms").isMissingNode(), name + " has a retention");
            } else {
                assertEquals("delete", config.path("cleanup.policy").asText("delete"), name + " cleanup.policy");
                assertEquals(604800000L, config.path("retention.ms").asLong(), name + " retention.ms");
            }
            local.get(name).forEach((key, value) -> assertEquals(value, config.path(key).asText(),
                    name + " " + key + ": locally " + value));
        }
    }

    /** deploy/local/lab-services.sh's {@code TOPIC_CONFIG}: topic -> its --config key=value pairs. */
    private static Map<String, Map<String, String>> localTopicConfigs() throws IOException {
        String script = Files.readString(Renders.repo().resolve("deploy/local/lab-services.sh"));
        int from = script.indexOf("declare -A TOPIC_CONFIG=(");
        assertTrue(from >= 0, "lab-services.sh declares TOPIC_CONFIG");
        String block = script.substring(from, script.indexOf("\n)", from));
        Map<String, Map<String, String>> topics = new TreeMap<>();
        var entry = java.util.regex.Pattern.compile("\\[([^\\]]+)\\]=\"([^\"]*)\"").matcher(block);
        while (entry.find()) {
            Map<String, String> config = new TreeMap<>();
            for (String pair : entry.group(2).split("[ ,]+")) {
                String[] keyValue = pair.split("=", 2);
                config.put(keyValue[0], keyValue[1]);
            }
            topics.put(entry.group(1), config);
        }
        assertFalse(topics.isEmpty(), "no topics in TOPIC_CONFIG");
        return topics;
    }

    @ParameterizedTest
    @MethodSource("targets")
    void noPodMountsAServiceAccountToken(String target) {
        List<JsonNode> documents = Renders.documents(target);
        Map<String, JsonNode> accounts = new HashMap<>();
        kind(documents, "ServiceAccount").forEach(a -> accounts.put(a.at("/metadata/name").asText(), a));
        for (JsonNode deployment : kind(documents, "Deployment")) {
            String name = deployment.at("/metadata/name").asText();
            JsonNode pod = deployment.at("/spec/template/spec");
            assertFalse(pod.path("automountServiceAccountToken").asBoolean(true), name + " mounts a token");
            JsonNode account = accounts.get(pod.path("serviceAccountName").asText());
            assertNotNull(account, name + " runs as service account " + pod.path("serviceAccountName"));
            assertFalse(account.path("automountServiceAccountToken").asBoolean(true));
        }
        JsonNode loader = Renders.documents("deploy/k8s/tools/data-loader.yaml").get(0);
        assertFalse(loader.at("/spec/automountServiceAccountToken").asBoolean(true), "the data loader mounts a token");
    }

    @ParameterizedTest
    @MethodSource("targets")
    void ingressIsDeniedByDefaultAndEveryAllowNamesItsSources(String target) {
        List<JsonNode> documents = Renders.documents(target);
        List<JsonNode> policies = kind(documents, "NetworkPolicy");
        assertTrue(policies.stream().anyMatch(p -> p.at("/spec/podSelector").isEmpty()
                && p.at("/spec/policyTypes").toString().equals("[\"Ingress\"]") && p.at("/spec/ingress").isMissingNode()),
                "no default-deny ingress policy");
        for (JsonNode policy : policies) {
            for (JsonNode rule : policy.at("/spec/ingress")) {
                assertTrue(rule.path("from").size() > 0, policy.at("/metadata/name") + " admits every source");
                for (JsonNode peer : rule.path("from")) {
                    assertTrue(peer.has("namespaceSelector") && peer.has("podSelector"),
                            policy.at("/metadata/name") + ": a peer should name both namespace and pods: " + peer);
                }
            }
        }
        // The gateway's HTTP port from the ingress controller.
        JsonNode gateway = named(documents, "NetworkPolicy", "gateway-from-ingress-controller");
        assertEquals("gateway", gateway.at("/spec/podSelector/matchLabels/app.kubernetes.io~1name").asText());
        assertEquals("http", gateway.at("/spec/ingress/0/ports/0/port").asText());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void everyDeploymentHasADisruptionBudgetThatAllowsADrain(String target) {
        List<JsonNode> documents = Renders.documents(target);
        for (JsonNode deployment : kind(documents, "Deployment")) {
            String name = deployment.at("/metadata/name").asText();
            JsonNode labels = deployment.at("/spec/template/metadata/labels");
            List<JsonNode> budgets = kind(documents, "PodDisruptionBudget").stream()
                    .filter(b -> matches(b.at("/spec/selector/matchLabels"), labels)).toList();
            assertEquals(1, budgets.size(), name + " disruption budgets");
            JsonNode spec = budgets.get(0).path("spec");
            int replicas = deployment.at("/spec/replicas").asInt(1);
            int mayBeDown = spec.has("maxUnavailable") ? spec.path("maxUnavailable").asInt()
                    : replicas - spec.path("minAvailable").asInt();
            assertTrue(mayBeDown >= 1, name + ": its budget blocks every eviction at " + replicas + " replica(s)");
            assertTrue(mayBeDown < replicas || replicas == 1, name + ": its budget protects nothing");
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void theEvaluatorIsRecreatedNotRolled(String target) {
        JsonNode evaluator = named(Renders.documents(target), "Deployment", "evaluator-service");
        assertEquals("Recreate", evaluator.at("/spec/strategy/type").asText());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void gpuVariablesOnlyOnContainersWithAGpu(String target) {
        for (JsonNode deployment : kind(Renders.documents(target), "Deployment")) {
            for (JsonNode container : deployment.at("/spec/template/spec/containers")) {
                boolean gpu = container.at("/resources/limits").has("nvidia.com/gpu");
                for (JsonNode variable : container.path("env")) {
                    String name = variable.path("name").asText();
                    if (name.equals("NVIDIA_VISIBLE_DEVICES") || name.equals("NVIDIA_DRIVER_CAPABILITIES")) {
                        assertTrue(gpu, container.path("name") + " sets " + name + " without requesting a GPU");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void theIngressServesTls(String target) {
        for (JsonNode ingress : kind(Renders.documents(target), "Ingress")) {
            Set<String> tlsHosts = new HashSet<>();
            for (JsonNode tls : ingress.at("/spec/tls")) {
                assertFalse(tls.path("secretName").asText().isEmpty(), "tls without a secret");
                tls.path("hosts").forEach(h -> tlsHosts.add(h.asText()));
            }
            for (JsonNode rule : ingress.at("/spec/rules")) {
                assertTrue(tlsHosts.contains(rule.path("host").asText()), rule.path("host") + " without TLS");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("targets")
    void theGatewayTakesItsApiTokenFromASecretAndEveryServiceItsInputRoots(String target) {
        List<JsonNode> documents = Renders.documents(target);
        JsonNode gateway = stream(named(documents, "Deployment", "gateway").at("/spec/template/spec/containers"))
                .filter(c -> c.path("name").asText().equals("gateway")).findFirst().orElseThrow();
        JsonNode token = envVar(gateway, "PRUNELAB_API_TOKEN");
        assertEquals("prunelab-api-token", token.at("/valueFrom/secretKeyRef/name").asText());
        assertEquals("token", token.at("/valueFrom/secretKeyRef/key").asText());
        JsonNode env = named(documents, "ConfigMap", "prunelab-env").path("data");
        for (String root : List.of("PRUNELAB_DATA", "PRUNELAB_MODELS", "PRUNELAB_ARTIFACTS")) {
            assertTrue(env.path(root).asText().startsWith("/"), root + " is not an absolute path in prunelab-env");
        }
    }

    @Test
    void thePrometheusRuleIsTheAlertsFile() throws IOException {
        JsonNode rule = one(Renders.documents("deploy/k8s/overlays/monitoring"), "PrometheusRule");
        JsonNode alerts = StrictManifests.documents(Files.readString(
                Renders.repo().resolve("deploy/prometheus/prunelab-alerts.yml"))).get(0);
        assertEquals(alerts, rule.path("spec"), "components/monitoring/prometheusrule.yaml differs from "
                + "deploy/prometheus/prunelab-alerts.yml: run python3 deploy/prometheus/to-prometheusrule.py");
    }

    // ---- helpers

    /** Kafka's simple authorizer: allow rules of the user matching the resource; Read and Write imply Describe. */
    static boolean allowed(JsonNode user, String type, String name, String operation) {
        boolean allow = false;
        for (JsonNode acl : user.at("/spec/authorization/acls")) {
            JsonNode resource = acl.path("resource");
            if (!resource.path("type").asText().equals(type)) {
                continue;
            }
            String pattern = resource.path("name").asText();
            boolean prefix = resource.path("patternType").asText("literal").equals("prefix");
            boolean match = prefix ? name.startsWith(pattern) : pattern.equals("*") || pattern.equals(name);
            Set<String> operations = new HashSet<>();
            acl.path("operations").forEach(o -> operations.add(o.asText()));
            boolean grants = operations.contains(operation) || operations.contains("All")
                    || operation.equals("Describe") && (operations.contains("Read") || operations.contains("Write"));
            if (match && grants) {
                if (acl.path("type").asText("allow").equals("deny")) {
                    return false;
                }
                allow = true;
            }
        }
        return allow;
    }

    /** Container name -> the KafkaUser whose secret its KAFKA_SASL_JAAS_CONFIG comes from. */
    private static Map<String, String> userOfContainer(List<JsonNode> documents) {
        Map<String, String> users = new TreeMap<>();
        for (JsonNode deployment : kind(documents, "Deployment")) {
            for (JsonNode container : deployment.at("/spec/template/spec/containers")) {
                boolean kafkaSettings = stream(container.path("envFrom"))
                        .anyMatch(e -> e.at("/configMapRef/name").asText().equals("prunelab-env"));
                if (kafkaSettings) {
                    users.put(container.path("name").asText(), envVar(container, "KAFKA_SASL_JAAS_CONFIG")
                            .at("/valueFrom/secretKeyRef/name").asText());
                }
            }
        }
        return users;
    }

    /** The Kafka topics and consumer groups of a service's SmallRye Kafka channels. */
    private record Channels(Set<String> reads, Set<String> groups, Set<String> writes) {
        static Channels of(Path properties) throws IOException {
            Properties p = new Properties();
            try (Reader reader = Files.newBufferedReader(properties)) {
                p.load(reader);
            }
            Set<String> reads = new LinkedHashSet<>();
            Set<String> groups = new LinkedHashSet<>();
            Set<String> writes = new LinkedHashSet<>();
            for (String key : p.stringPropertyNames()) {
                // mp.messaging.<incoming|outgoing>.<channel>.connector=smallrye-kafka
                String[] parts = key.split("\\.");
                if (parts.length != 5 || !key.startsWith("mp.messaging.") || !parts[4].equals("connector")
                        || !p.getProperty(key).equals("smallrye-kafka")) {
                    continue;
                }
                String channel = parts[3];
                String prefix = "mp.messaging." + parts[2] + "." + channel + ".";
                String topics = p.getProperty(prefix + "topics", p.getProperty(prefix + "topic", channel));
                if (parts[2].equals("incoming")) {
                    for (String topic : topics.split(",")) {
                        reads.add(topic.strip());
                    }
                    groups.add(p.getProperty(prefix + "group.id", p.getProperty("quarkus.application.name"))
                            .replace("${quarkus.uuid}", SAMPLE_UUID));
                } else if (parts[2].equals("outgoing")) {
                    writes.add(topics.strip());
                }
            }
            assertFalse(reads.isEmpty() && writes.isEmpty(), "no Kafka channels in " + properties);
            return new Channels(reads, groups, writes);
        }
    }

    private static JsonNode envVar(JsonNode container, String name) {
        return stream(container.path("env")).filter(e -> e.path("name").asText().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(container.path("name") + " has no " + name));
    }

    private static boolean matches(JsonNode selector, JsonNode labels) {
        if (selector.isMissingNode() || selector.isEmpty()) {
            return false;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = selector.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().equals(labels.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static List<JsonNode> kind(List<JsonNode> documents, String kind) {
        return documents.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    private static Set<String> names(List<JsonNode> documents, String kind) {
        return kind(documents, kind).stream().map(d -> d.at("/metadata/name").asText()).collect(Collectors.toSet());
    }

    private static JsonNode one(List<JsonNode> documents, String kind) {
        List<JsonNode> found = kind(documents, kind);
        assertEquals(1, found.size(), kind + " documents");
        return found.get(0);
    }

    private static JsonNode named(List<JsonNode> documents, String kind, String name) {
        return ManifestSchemaTest.find(documents, kind, name);
    }

    private static Stream<JsonNode> stream(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return StreamSupport.stream(list.spliterator(), false);
    }
}
