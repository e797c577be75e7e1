package dev.prunelab.pruning.structured;

import dev.prunelab.pruning.calibration.BlockCalibration;
import dev.prunelab.pruning.model.DecoderConfig;
import dev.prunelab.pruning.model.TensorSource;
import java.util.List;

/**
 * ShortGPT's block influence (Men et al. 2024, Eq. 2): BI_l = 1 − E_t[cos(x_l,t, x_{l+1},t)] over every
 * calibration token t, on the dense model; a block that barely turns its input is the cheapest to drop.
 */
final class BlockInfluence {
    private BlockInfluence() {
    }

    static double[] of(DecoderConfig config, TensorSource weights, BlockCalibration calibration, List<int[]> windows) {
        int window = calibration.window();
        int width = calibration.width();
        double[] influence = new double[config.numLayers()];
        List<float[]> current = calibration.embed(weights, windows);
        for (int layer = 0; layer < config.numLayers(); layer++) {
            List<float[]> next = calibration.forward(weights, layer, current);
            double cosines = 0;
            long tokens = 0;
            for (int i = 0; i < current.size(); i++) {
                float[] a = current.get(i);
                float[] b = next.get(i);
                for (int t = 0; t < window; t++) {
                    double dot = 0;
                    double na = 0;
                    double nb = 0;
                    for (int j = t * width; j < (t + 1) * width; j++) {
                        dot += (double) a[j] * b[j];
                        na += (double) a[j] * a[j];
                        nb += (double) b[j] * b[j];
                    }
                    cosines += na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 1;
                    tokens++;
                }
            }
            influence[layer] = 1 - cosines / tokens;
            current = next;
        }
        return influence;
    }
}
