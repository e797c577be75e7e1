package dev.prunelab.energy.service;

import dev.prunelab.events.EventSources;
import dev.prunelab.events.PowerSample;
import dev.prunelab.events.Topics;
import dev.prunelab.service.EventSender;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;

/** Publishes power samples through the shared {@link EventSender}, keyed {@code host/device}, best effort. */
@ApplicationScoped
public class PowerSamplePublisher {

    public static final String SOURCE = EventSources.ENERGY_METER;

    private final EventSender sender;

    @Inject
    public PowerSamplePublisher(@Channel("power-sample") MutinyEmitter<String> samples,
                                @ConfigProperty(name = "prunelab.send-timeout", defaultValue = "PT60S") Duration timeout) {
        this.sender = new EventSender(SOURCE, Map.of(Topics.POWER_SAMPLE, samples), timeout);
    }

    /** Sends without waiting: {@code published} runs once the broker has the sample, {@code failed} if it never does. */
    public void publish(PowerSample sample, Runnable published, Consumer<Throwable> failed) {
        try {
            sender.send(sample).subscribe().with(done -> published.run(), failed);
        } catch (RuntimeException e) { // the emitter's buffer is full while the broker is away
            failed.accept(e);
        }
    }
}
