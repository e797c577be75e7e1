package dev.prunelab.energy;

import dev.prunelab.vocabulary.EnergySource;
import java.io.IOException;
import java.time.Instant;
import java.util.OptionalDouble;

/** One device's power, read at the sampler's pace. Implementations keep the previous reading they need. */
public interface PowerSource {

    /** The device as power samples name it: "cpu", "cpu/package-0", "gpu0". */
    String device();

    EnergySource kind();

    /** How the number is obtained, one line; published with every sample. */
    String basis();

    /**
     * Mean power since the previous call. Empty on the first call of a counter-based source (it only starts the
     * interval) or when no time has passed.
     */
    OptionalDouble sampleWatts(Instant now) throws IOException;
}
