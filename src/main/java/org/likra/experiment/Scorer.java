package org.likra.experiment;

import org.likra.util.UserError;

import java.util.Arrays;
import java.util.Locale;

/**
 * How a choice is scored from the summed answer log-likelihoods under the base model, the positive head and the
 * negative head. The prediction is the best-scoring choice.
 */
public enum Scorer {
    /** log p_base. */
    BASE("base", false, false),
    /** log p+: supervised fine-tuning on correct answers. */
    SFT("sft", true, false),
    /** w+ log p+ - w- log p-: the likelihood ratio of the two heads. */
    LIKRA("likra", true, true),
    /** log p_base - log p-: Likra trained on negatives only. */
    BASE_NEG("base-neg", false, true),
    /** log p+ - log p_base. */
    POS_BASE("pos-base", true, false);

    private final String label;
    private final boolean needsPositive;
    private final boolean needsNegative;

    Scorer(String label, boolean needsPositive, boolean needsNegative) {
        this.label = label;
        this.needsPositive = needsPositive;
        this.needsNegative = needsNegative;
    }

    public String label() {
        return label;
    }

    /** What the scorer is, in words for legends and keys, e.g. "Likra: w+ log p+ - w- log p-". */
    public String description() {
        return switch (this) {
            case BASE -> "base model, no head: log p_base";
            case SFT -> "SFT, the positive head: log p+";
            case LIKRA -> "Likra: w+ log p+ - w- log p-";
            case BASE_NEG -> "negative head only: log p_base - log p-";
            case POS_BASE -> "positive head's gain: log p+ - log p_base";
        };
    }

    public boolean needsPositive() {
        return needsPositive;
    }

    public boolean needsNegative() {
        return needsNegative;
    }

    public static Scorer parse(String name) {
        for (Scorer s : values()) {
            if (s.label.equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new UserError("unknown scorer '" + name + "' (known: "
                + String.join(", ", Arrays.stream(values()).map(Scorer::label).toList()) + ")");
    }

    /**
     * The score of one choice.
     *
     * @param base log p_base of the choice (summed over its tokens)
     * @param pos  log p+ (NaN when there is no positive head)
     * @param neg  log p- (NaN when there is no negative head)
     */
    public double score(double base, double pos, double neg, double positiveWeight, double negativeWeight) {
        return switch (this) {
            case BASE -> base;
            case SFT -> pos;
            case LIKRA -> positiveWeight * pos - negativeWeight * neg;
            case BASE_NEG -> base - neg;
            case POS_BASE -> pos - base;
        };
    }
}
