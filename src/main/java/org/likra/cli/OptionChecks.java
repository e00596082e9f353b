package org.likra.cli;

import org.likra.engines.Engines;
import org.likra.experiment.HeadRecipe;
import org.likra.experiment.NegativeStrategy;
import org.likra.experiment.Scorer;
import org.likra.util.UserError;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.ArrayList;
import java.util.List;

/**
 * picocli converters that check an option's value while the command line is parsed, so that a value out of range
 * or a misspelt name is refused (one line, exit 1) before any work starts. Each is named for the values it
 * accepts; the option's description states the same range.
 */
final class OptionChecks {
    private OptionChecks() {
    }

    /** A whole number within [min, max]. */
    abstract static class IntRange implements ITypeConverter<Integer> {
        private final int min;
        private final int max;
        private final String what;

        IntRange(int min, int max, String what) {
            this.min = min;
            this.max = max;
            this.what = what;
        }

        @Override
        public Integer convert(String value) {
            int v;
            try {
                v = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("expected " + what + ", got '" + value + "'");
            }
            if (v < min || v > max) {
                throw new TypeConversionException("must be " + what + ", got " + v);
            }
            return v;
        }
    }

    /** 1, 2, 3, ... */
    public static final class Positive extends IntRange {
        public Positive() {
            super(1, Integer.MAX_VALUE, "a positive whole number");
        }
    }

    /** 0, 1, 2, ... */
    public static final class NonNegative extends IntRange {
        public NonNegative() {
            super(0, Integer.MAX_VALUE, "0 or a positive whole number");
        }
    }

    /** Examples per update of a head: HeadRecipe's range. */
    public static final class HeadBatch extends IntRange {
        public HeadBatch() {
            super(1, 4096, "within 1..4096");
        }
    }

    /** Epochs of a head: HeadRecipe's range. */
    public static final class Epochs extends IntRange {
        public Epochs() {
            super(1, 100, "within 1..100");
        }
    }

    /** Negatives per question: the study plans' range. */
    public static final class PerQuestion extends IntRange {
        public PerQuestion() {
            super(1, 16, "within 1..16");
        }
    }

    /** Cells of a study run at once: the study runner's range. */
    public static final class Workers extends IntRange {
        public Workers() {
            super(1, 64, "within 1..64");
        }
    }

    /** Most worker threads a cpu engine may be given: 4 per core (more only slows it down). */
    static int maxThreads() {
        return 4 * Runtime.getRuntime().availableProcessors();
    }

    /** --threads: 0 (all cores) or 1..{@link #maxThreads()}. */
    public static final class Threads extends IntRange {
        public Threads() {
            super(0, maxThreads(), "0 (all cores) or 1.." + maxThreads() + " (4 per core)");
        }
    }

    /** A real number within a range, each end open or closed; NaN and infinities are refused. */
    abstract static class RealRange implements ITypeConverter<Double> {
        private final double min;
        private final boolean minIncluded;
        private final double max;
        private final boolean maxIncluded;
        private final String what;

        RealRange(double min, boolean minIncluded, double max, boolean maxIncluded, String what) {
            this.min = min;
            this.minIncluded = minIncluded;
            this.max = max;
            this.maxIncluded = maxIncluded;
            this.what = what;
        }

        @Override
        public Double convert(String value) {
            double v;
            try {
                v = Double.parseDouble(value.trim());
            } catch (NumberFormatException e) {
                throw new TypeConversionException("expected " + what + ", got '" + value + "'");
            }
            boolean above = minIncluded ? v >= min : v > min;
            boolean below = maxIncluded ? v <= max : v < max;
            if (!Double.isFinite(v) || !above || !below) {
                throw new TypeConversionException("must be " + what + ", got " + value.trim());
            }
            return v;
        }
    }

    /** (0, inf): learning rates, epsilons, alpha, beta of DPO. */
    public static final class PositiveReal extends RealRange {
        public PositiveReal() {
            super(0, false, Double.POSITIVE_INFINITY, false, "a positive number");
        }
    }

    /** [0, inf): weights, clipping (0: off), seconds. */
    public static final class NonNegativeReal extends RealRange {
        public NonNegativeReal() {
            super(0, true, Double.POSITIVE_INFINITY, false, "0 or a positive number");
        }
    }

    /** [0, 1]: fractions and probabilities. */
    public static final class Fraction extends RealRange {
        public Fraction() {
            super(0, true, 1, true, "within [0, 1]");
        }
    }

    /** [0, 1): a dropout probability (1 would drop every input). */
    public static final class Dropout extends RealRange {
        public Dropout() {
            super(0, true, 1, false, "within [0, 1)");
        }
    }

    /** (0, 1): a share that must leave something on both sides. */
    public static final class OpenFraction extends RealRange {
        public OpenFraction() {
            super(0, false, 1, false, "within (0, 1), ends excluded");
        }
    }

    /** [0, 1): Adam's betas. */
    public static final class Beta extends RealRange {
        public Beta() {
            super(0, true, 1, false, "within [0, 1)");
        }
    }

    /** (0, 1]: nucleus sampling mass. */
    public static final class TopP extends RealRange {
        public TopP() {
            super(0, false, 1, true, "within (0, 1]");
        }
    }

    /** One of a fixed list of names (case-insensitive); the value is returned in the list's spelling. */
    abstract static class OneOf implements ITypeConverter<String> {
        private final List<String> names;

        OneOf(List<String> names) {
            this.names = names;
        }

        @Override
        public String convert(String value) {
            for (String n : names) {
                if (n.equalsIgnoreCase(value.trim())) {
                    return n;
                }
            }
            throw new TypeConversionException("expected one of " + String.join(", ", names) + "; got '" + value
                    + "'");
        }
    }

    /** One LoRA target projection. */
    public static final class Target extends OneOf {
        public Target() {
            super(List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));
        }
    }

    /** --engine. */
    public static final class Engine extends OneOf {
        public Engine() {
            super(Engines.NAMES);
        }
    }

    /** --precision. */
    public static final class Precision extends OneOf {
        public Precision() {
            super(List.of("f32", "f64"));
        }
    }

    /** --metric of curve and compare. */
    public static final class Metric extends OneOf {
        public Metric() {
            super(List.of("acc", "acc_norm"));
        }
    }

    /** A head's learning-rate schedule. */
    public static final class Schedule extends OneOf {
        public Schedule() {
            super(HeadRecipe.SCHEDULES);
        }
    }

    /** pretrain's learning-rate schedule. */
    public static final class PretrainSchedule extends OneOf {
        public PretrainSchedule() {
            super(List.of("constant", "cosine"));
        }
    }

    /** train --head. */
    public static final class Head extends OneOf {
        public Head() {
            super(List.of("positive", "negative", "both", "dpo"));
        }
    }

    /** eval --scorer: a scorer or all. */
    public static final class ScorerOrAll extends OneOf {
        public ScorerOrAll() {
            super(scorers(true));
        }
    }

    /** compare --scorer: a column of curve.csv. */
    public static final class CurveScorer extends OneOf {
        public CurveScorer() {
            super(curveScorers());
        }
    }

    static List<String> scorers(boolean withAll) {
        List<String> out = new ArrayList<>();
        for (Scorer s : Scorer.values()) {
            out.add(s.label());
        }
        if (withAll) {
            out.add("all");
        }
        return out;
    }

    static List<String> curveScorers() {
        List<String> out = scorers(false);
        out.add("dpo");
        return out;
    }

    /** --negatives: a {@link NegativeStrategy} by its label. */
    public static final class Negatives implements ITypeConverter<NegativeStrategy> {
        @Override
        public NegativeStrategy convert(String value) {
            try {
                return NegativeStrategy.parse(value.trim());
            } catch (UserError e) {
                throw new TypeConversionException("expected one of " + String.join(", ",
                        java.util.Arrays.stream(NegativeStrategy.values()).map(NegativeStrategy::label).toList())
                        + "; got '" + value + "'");
            }
        }
    }

    /** The names a {@link OneOf} accepts, for descriptions: "a, b or c". */
    static String list(List<String> names) {
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
