package dev.prunelab.deploycheck;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.ResolvableDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads manifests into the typed models the API server and the Strimzi operator validate against: the fabric8
 * Kubernetes model (core, apps, networking, policy; monitoring.coreos.com for the Prometheus operator's kinds) and
 * Strimzi's API model ({@code io.strimzi:api}).
 *
 * <p>Both models keep fields they do not know in an {@code additionalProperties} map (a Jackson any-setter), so
 * {@code FAIL_ON_UNKNOWN_PROPERTIES} alone would accept {@code replcas: 2}. {@link #STRICT} removes every
 * any-setter, so an unknown field fails, like {@code kubectl apply --validate=strict} and the CRDs' structural
 * schemas (which prune or refuse unknown fields). It also refuses what the API server refuses: a number where a
 * string belongs ({@code value: 8082} in an env entry), a string where a number belongs ({@code replicas: "2"}),
 * an enum value the model does not know, and duplicate keys.
 */
final class StrictManifests {

    /** apiVersion/kind -> model class: every kind the manifests use; any other kind fails the check. */
    static final Map<String, Class<?>> KINDS = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("v1/ServiceAccount", ServiceAccount.class),
            Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("v1/Pod", Pod.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("networking.k8s.io/v1/Ingress", Ingress.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("kafka.strimzi.io/v1beta2/Kafka", Kafka.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic.class),
            Map.entry("kafka.strimzi.io/v1beta2/KafkaUser", KafkaUser.class),
            Map.entry("monitoring.coreos.com/v1/PodMonitor", PodMonitor.class),
            Map.entry("monitoring.coreos.com/v1/PrometheusRule", PrometheusRule.class));

    /** Unknown fields, scalar coercions and duplicate keys fail. */
    static final ObjectMapper STRICT = strict();

    /** The same without the any-setter removal: what FAIL_ON_UNKNOWN_PROPERTIES alone does (for the tests). */
    static final ObjectMapper LENIENT = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private StrictManifests() {
    }

    private static ObjectMapper strict() {
        SimpleModule noAnySetters = new SimpleModule("no-any-setters");
        noAnySetters.setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription description,
                    BeanDeserializerBuilder builder) {
                builder.setAnySetter(null);
                return builder;
            }

            @Override
            public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig config, JavaType type,
                    BeanDescription description, JsonDeserializer<?> deserializer) {
                return new KnownEnumValues(deserializer, type);
            }
        });
        ObjectMapper mapper = YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .addModule(noAnySetters)
                .build();
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /**
     * Strimzi's enums read a value they do not know as null ({@code AclOperation.forValue("Writ")}), where the CRD's
     * schema refuses it: a non-null value that reads as null fails here.
     */
    private static final class KnownEnumValues extends StdDeserializer<Object> implements ResolvableDeserializer {
        private final JsonDeserializer<?> delegate;

        KnownEnumValues(JsonDeserializer<?> delegate, JavaType type) {
            super(type);
            this.delegate = delegate;
        }

        @Override
        public Object deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            String text = parser.getText();
            Object value = delegate.deserialize(parser, context);
            if (value == null) {
                return context.handleWeirdStringValue(handledType(), text, "not one of the values of %s",
                        handledType().getSimpleName());
            }
            return value;
        }

        @Override
        public void resolve(DeserializationContext context) throws JsonMappingException {
            if (delegate instanceof ResolvableDeserializer resolvable) {
                resolvable.resolve(context);
            }
        }
    }

    /** The documents of a multi-document YAML text, as trees (null documents, i.e. empty ones, dropped). */
    static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (MappingIterator<JsonNode> it = STRICT.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                JsonNode node = it.next();
                if (node != null && !node.isNull() && !node.isMissingNode()) {
                    documents.add(node);
                }
            }
        }
        return documents;
    }

    static String kindKey(JsonNode document) {
        return document.path("apiVersion").asText() + "/" + document.path("kind").asText();
    }

    static String describe(JsonNode document) {
        return document.path("kind").asText() + " " + document.path("metadata").path("name").asText();
    }

    /** Reads the document into its model class; fails with the document and the offending path. */
    static Object validate(JsonNode document) {
        Class<?> type = KINDS.get(kindKey(document));
        if (type == null) {
            throw new AssertionError(describe(document) + ": no schema for " + kindKey(document)
                    + " (add its model to StrictManifests.KINDS)");
        }
        Object model;
        try {
            model = STRICT.readerFor(type).readValue(document);
        } catch (IOException e) {
            throw new AssertionError(describe(document) + " (" + kindKey(document) + ") does not match its schema: "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return model;
    }

}
