package dev.prunelab.measure;

/**
 * The per-core power model of the estimate: a core draws {@code idleWattsPerCore} idle and
 * {@code fullWattsPerCore} fully busy (Cloud Carbon Footprint's compute model: average watts = min + utilisation x
 * (max - min), per vCPU, coefficients from the SPECpower database).
 *
 * @param name where the coefficients come from, for the report
 */
public record PowerModel(double idleWattsPerCore, double fullWattsPerCore, String name) {

    /** Cloud Carbon Footprint's average over AWS micro-architectures: 0.74 W idle, 3.5 W full per vCPU. */
    public static final PowerModel CCF_AWS = new PowerModel(0.74, 3.5,
            "Cloud Carbon Footprint per-vCPU coefficients, AWS average (SPECpower)");

    public PowerModel {
        if (!(idleWattsPerCore >= 0 && Double.isFinite(idleWattsPerCore))) {
            throw new IllegalArgumentException("idle watts per core " + idleWattsPerCore + " must be a number >= 0");
        }
        if (!(fullWattsPerCore > idleWattsPerCore && Double.isFinite(fullWattsPerCore))) {
            throw new IllegalArgumentException("full watts per core " + fullWattsPerCore
                    + " must be a finite number above the idle watts " + idleWattsPerCore);
        }
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a power model needs a name saying where its coefficients come from");
        }
    }

    /** The model with other coefficients (a configured machine), named as configured. */
    public static PowerModel configured(double idleWattsPerCore, double fullWattsPerCore) {
        if (idleWattsPerCore == CCF_AWS.idleWattsPerCore && fullWattsPerCore == CCF_AWS.fullWattsPerCore) {
            return CCF_AWS;
        }
        return new PowerModel(idleWattsPerCore, fullWattsPerCore, "configured per-core coefficients");
    }
}
