package dev.prunelab.gateway;

/**
 * Carbon of measured energy: kWh x PUE x grid intensity (1 kWh = 3.6 MJ). Defaults: 475 gCO2e/kWh (the world
 * average CodeCarbon and the IEA use) and a PUE of 1.0 (the machine alone, no data-centre overhead).
 */
public record Carbon(double intensityGramsPerKwh, double pue) {

    public static final double DEFAULT_GRAMS_PER_KWH = 475;
    public static final double JOULES_PER_KWH = 3.6e6;

    public Carbon {
        if (!(intensityGramsPerKwh >= 0 && Double.isFinite(intensityGramsPerKwh))) {
            throw new IllegalArgumentException("carbon intensity " + intensityGramsPerKwh
                    + " gCO2e/kWh must be a finite number >= 0");
        }
        if (!(pue >= 1 && Double.isFinite(pue))) {
            throw new IllegalArgumentException("PUE " + pue + " must be a finite number >= 1");
        }
    }

    public static Carbon defaults() {
        return new Carbon(DEFAULT_GRAMS_PER_KWH, 1.0);
    }

    /** kWh drawn from the grid for {@code joules} at the machine: the PUE included. */
    public double gridKwh(double joules) {
        return joules / JOULES_PER_KWH * pue;
    }

    public double grams(double joules) {
        return gridKwh(joules) * intensityGramsPerKwh;
    }
}
