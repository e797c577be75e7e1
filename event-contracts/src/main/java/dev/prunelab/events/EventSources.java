package dev.prunelab.events;

import dev.prunelab.vocabulary.RunStage;
import java.util.Optional;
import java.util.Set;

/**
 * Which service may publish which event, by CloudEvents {@code source}. Kafka's ACLs (deploy/k8s) already keep
 * other principals off each topic; consumers check the source too, so a record that names the wrong producer (a
 * forged {@code model.evaluated} for a queued run, say) is ignored and logged instead of becoming the run's result.
 */
public final class EventSources {

    public static final String GATEWAY = "/prunelab/gateway";
    public static final String PRUNER = "/prunelab/pruner-service";
    public static final String EVALUATOR = "/prunelab/evaluator-service";
    public static final String ENERGY_METER = "/prunelab/energy-meter-service";

    private EventSources() {
    }

    /** The sources that may publish this event: its type's owner, and for a failure or progress its stage's. */
    public static Set<String> owners(Event event) {
        if (event instanceof RunRequested || event instanceof SweepCancelled || event instanceof SearchRequested) {
            return Set.of(GATEWAY);
        }
        if (event instanceof ModelPruned) {
            return Set.of(PRUNER);
        }
        if (event instanceof ModelEvaluated) {
            return Set.of(EVALUATOR);
        }
        if (event instanceof PowerSample) {
            return Set.of(ENERGY_METER);
        }
        if (event instanceof RunFailed failed) {
            return ofStage(failed.stage());
        }
        if (event instanceof RunProgress progress) {
            return ofStage(progress.stage());
        }
        return Set.of();
    }

    private static Set<String> ofStage(RunStage stage) {
        return switch (stage.owner()) {
            case PRUNER -> Set.of(PRUNER);
            case EVALUATOR -> Set.of(EVALUATOR);
            case ANY -> Set.of(PRUNER, EVALUATOR);
        };
    }

    /**
     * Why an event from this source is not to be believed, or empty when the source owns it.
     *
     * @param source the record's {@code ce_source} header, null when it has none
     */
    public static Optional<String> refusal(Event event, String source) {
        Set<String> owners = owners(event);
        if (source != null && owners.contains(source)) {
            return Optional.empty();
        }
        return Optional.of("a " + event.type() + " for " + event.key() + " from "
                + (source == null ? "no ce_source" : "source '" + printable(source) + "'")
                + " is ignored: only " + String.join(" or ", owners.stream().sorted().toList())
                + " publishes it");
    }

    /** A header value fit for a one-line log message: at most 80 printable characters. */
    private static String printable(String value) {
        String cleaned = value.codePoints().map(c -> c < 0x20 || c == 0x7f ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return cleaned.length() > 80 ? cleaned.substring(0, 80) + "..." : cleaned;
    }
}
