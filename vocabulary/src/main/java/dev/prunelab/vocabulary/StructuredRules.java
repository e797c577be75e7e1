package dev.prunelab.vocabulary;

/** The structured combinations the pruner refuses, in one place for the requests and the engine alike. */
public final class StructuredRules {
    private StructuredRules() {
    }

    /**
     * Why structured pruning refuses this combination, or null when it is valid: block-influence ranks only whole
     * blocks, blocks are ranked only by block-influence and always over the whole model (no per-layer allocation), and bias compensation is
     * FLAP's.
     */
    public static InvalidSetting refusal(StructuredTarget target, StructuredScore score, StructuredAllocation allocation,
                                         boolean biasCompensation) {
        boolean blocks = target == StructuredTarget.BLOCKS;
        boolean influence = score == StructuredScore.BLOCK_INFLUENCE;
        if (influence && !blocks) {
            return new InvalidSetting(StructuredScore.FIELD,
                    "block-influence ranks whole blocks; it needs target blocks, not " + target.id());
        }
        if (blocks && !influence) {
            return new InvalidSetting(StructuredScore.FIELD,
                    score.id() + " cannot rank blocks; target blocks needs score block-influence");
        }
        if (blocks && allocation != StructuredAllocation.UNIFORM) {
            return new InvalidSetting(StructuredAllocation.FIELD,
                    allocation.id() + " is not available for target blocks (blocks are ranked over the whole model)");
        }
        if (biasCompensation && score != StructuredScore.FLAP) {
            return new InvalidSetting("biasCompensation", "is part of FLAP; score " + score.id()
                    + " does not compensate");
        }
        return null;
    }
}
