package dev.prunelab.deploycheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every rendered manifest of deploy/k8s (the default and each overlay) and the plain manifests of deploy/k8s/tools
 * read into the Kubernetes and Strimzi models with unknown fields refused; and proof that a misspelled field really
 * fails, in every object of every document.
 */
class ManifestSchemaTest {

    /** Objects whose keys are data, not fields: labels, selectors' labels, ConfigMap data, Kafka/topic config, quantities. */
    private static final Set<String> FREE_FORM_MAPS = Set.of("labels", "annotations", "matchLabels", "data",
            "stringData", "config", "limits", "requests", "nodeSelector");

    private static final Map<String, String> SUMMARY = new ConcurrentHashMap<>();

    static Stream<String> targets() {
        return Stream.concat(Renders.TARGETS.stream(), Renders.PLAIN.stream());
    }

    @ParameterizedTest
    @MethodSource("targets")
    void everyDocumentMatchesItsSchema(String target) {
        List<JsonNode> documents = Renders.documents(target);
        Map<String, Integer> kinds = new TreeMap<>();
        for (JsonNode document : documents) {
            StrictManifests.validate(document);
            kinds.merge(document.path("kind").asText(), 1, Integer::sum);
        }
        StringBuilder line = new StringBuilder();
        kinds.forEach((kind, n) -> line.append(line.length() == 0 ? "" : ", ").append(kind).append(' ').append(n));
        SUMMARY.merge(target, documents.size() + " documents valid (" + line + ")", (a, b) -> b + "; " + a);
    }

    @ParameterizedTest
    @MethodSource("targets")
    void everyObjectRefusesAnUnknownField(String target) {
        int checked = 0;
        for (JsonNode document : Renders.documents(target)) {
            List<JsonPointer> objects = new ArrayList<>();
            collectObjects(document, document.path("kind").asText(), JsonPointer.empty(), null, objects);
            for (JsonPointer pointer : objects) {
                ObjectNode mutated = document.deepCopy();
                ((ObjectNode) mutated.at(pointer)).put("replcas", "2");
                AssertionError refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(mutated),
                        () -> StrictManifests.describe(document) + " in " + target + ": an unknown field at "
                                + pointer + " was accepted");
                UnrecognizedPropertyException cause = assertInstanceOf(UnrecognizedPropertyException.class,
                        refused.getCause(), () -> "refused for another reason: " + refused.getMessage());
                assertEquals("replcas", cause.getPropertyName());
                checked++;
            }
        }
        assertTrue(checked > 0);
        final int objects = checked;
        SUMMARY.merge(target, objects + " objects each refuse an unknown field", (a, b) -> a + "; " + b);
    }

    /** The example: spec.replcas of a Deployment fails, where FAIL_ON_UNKNOWN_PROPERTIES alone keeps it. */
    @Test
    void misspelledReplicasIsRefused() throws IOException {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: gateway
                spec:
                  replcas: 2
                  selector:
                    matchLabels:
                      app.kubernetes.io/name: gateway
                  template:
                    metadata:
                      labels:
                        app.kubernetes.io/name: gateway
                    spec:
                      containers:
                        - name: gateway
                          image: prunelab/gateway
                """;
        JsonNode document = StrictManifests.documents(yaml).get(0);
        AssertionError refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(document));
        assertTrue(refused.getMessage().contains("replcas"), refused.getMessage());

        // Why the any-setters are removed: with FAIL_ON_UNKNOWN_PROPERTIES alone the field is silently kept aside.
        Deployment lenient = StrictManifests.LENIENT.readerFor(Deployment.class).readValue(document);
        assertEquals(2, lenient.getSpec().getAdditionalProperties().get("replcas"));
        assertEquals(null, lenient.getSpec().getReplicas());
    }

    @Test
    void misspelledStrimziFieldsAreRefused() {
        JsonNode kafka = find(Renders.documents("deploy/k8s"), "Kafka", "prunelab");
        ObjectNode kafkaCopy = kafka.deepCopy();
        ObjectNode firstListener = (ObjectNode) kafkaCopy.at("/spec/kafka/listeners/0");
        firstListener.set("authentcation", firstListener.remove("authentication"));
        AssertionError refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(kafkaCopy));
        assertTrue(refused.getMessage().contains("authentcation"), refused.getMessage());

        ObjectNode user = find(Renders.documents("deploy/k8s"), "KafkaUser", "prunelab-pruner").deepCopy();
        ObjectNode acl = (ObjectNode) user.at("/spec/authorization/acls/0");
        acl.set("operatons", acl.remove("operations"));
        refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(user));
        assertTrue(refused.getMessage().contains("operatons"), refused.getMessage());

        // A value outside Strimzi's enum (operation "Writ") fails too.
        ObjectNode user2 = find(Renders.documents("deploy/k8s"), "KafkaUser", "prunelab-pruner").deepCopy();
        ((ArrayNode) user2.at("/spec/authorization/acls/0/operations")).set(0, "Writ");
        refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(user2));
        assertTrue(refused.getMessage().contains("\"Writ\": not one of the values of AclOperation"),
                refused.getMessage());
    }

    @Test
    void scalarsOfTheWrongTypeAreRefused() {
        ObjectNode deployment = find(Renders.documents("deploy/k8s"), "Deployment", "gateway").deepCopy();
        ((ObjectNode) deployment.at("/spec/template/spec/containers/0/env/0")).put("value", 8080);
        AssertionError refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(deployment));
        assertTrue(refused.getMessage().contains("Cannot coerce Integer value (8080)"), refused.getMessage());

        ObjectNode deployment2 = find(Renders.documents("deploy/k8s"), "Deployment", "gateway").deepCopy();
        ((ObjectNode) deployment2.at("/spec")).put("replicas", "2");
        assertThrows(AssertionError.class, () -> StrictManifests.validate(deployment2));
    }

    @Test
    void unknownKindsAreRefused() throws IOException {
        JsonNode document = StrictManifests.documents("apiVersion: v1\nkind: Secrte\nmetadata: {name: x}\n").get(0);
        AssertionError refused = assertThrows(AssertionError.class, () -> StrictManifests.validate(document));
        assertTrue(refused.getMessage().contains("no schema"), refused.getMessage());
    }

    @Test
    void duplicateKeysAreRefused() {
        Exception refused = assertThrows(Exception.class, () -> StrictManifests.documents("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: x}
                data: {A: "1"}
                data: {B: "2"}
                """));
        assertTrue(refused.getMessage().contains("Duplicate field 'data'"), refused.getMessage());
    }

    @AfterAll
    static void summary() throws IOException {
        if (SUMMARY.isEmpty()) {
            return;
        }
        String renderer;
        try {
            renderer = Renders.kustomize().version();
        } catch (AssertionError e) {
            renderer = "no kustomize (" + e.getMessage() + ")";
        }
        StringBuilder text = new StringBuilder("deploy-check: manifests validated against the Kubernetes (fabric8 "
                + "model) and Strimzi (io.strimzi:api) schemas, unknown fields refused; rendered with " + renderer
                + "\n");
        new TreeMap<>(SUMMARY).forEach((target, line) -> text.append("  ").append(target).append(": ").append(line)
                .append('\n'));
        System.out.print(text);
        Path out = Path.of("target", "deploy-check-summary.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, text, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    static JsonNode find(List<JsonNode> documents, String kind, String name) {
        return documents.stream()
                .filter(d -> kind.equals(d.path("kind").asText()) && name.equals(d.path("metadata").path("name").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    private static void collectObjects(JsonNode node, String kind, JsonPointer at, String field,
            List<JsonPointer> out) {
        if (node.isObject()) {
            if (field != null && FREE_FORM_MAPS.contains(field)
                    || "Service".equals(kind) && "/spec/selector".equals(at.toString())) {
                return;
            }
            out.add(at);
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> entry = fields.next();
                collectObjects(entry.getValue(), kind, at.appendProperty(entry.getKey()), entry.getKey(), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collectObjects(node.get(i), kind, at.appendIndex(i), field, out);
            }
        }
    }
}
