package org.likra.stats;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A seeded, deterministic two-way hierarchical bootstrap for a scorer's mean outcome over replicated runs.
 *
 * <h2>Data</h2>
 * {@code x[r][q]} is the outcome of replicate r on question q (1.0 correct / 0.0 wrong, or any per-question value).
 * A replicate is one (base-model seed, head seed) run; {@code repGroup[r]} names its base-model seed, so replicates
 * sharing a base model are nested in one group. Every replicate scores the same questions, and {@code cluster[q]}
 * names question q's cluster (e.g. the entity it is about). Group and cluster labels are arbitrary ints.
 *
 * <h2>One resample</h2>
 * With K groups, group g holding m<sub>g</sub> replicates, and C clusters, cluster c holding n<sub>c</sub> questions:
 * <ol>
 *   <li>draw K groups with replacement from the K groups;</li>
 *   <li>for each drawn group g draw m<sub>g</sub> of its replicates with replacement; v<sub>r</sub> counts how often
 *       replicate r was drawn, V = Σ v<sub>r</sub>;</li>
 *   <li>draw C clusters with replacement; w<sub>c</sub> counts how often cluster c was drawn. This one draw is shared
 *       by all replicates of the resample, because the questions are paired across replicates;</li>
 *   <li>the statistic is the mean over drawn replicates of each replicate's mean over the drawn questions, where a
 *       cluster drawn w<sub>c</sub> times contributes each of its questions w<sub>c</sub> times:
 *       <pre>  θ* = (1/V) Σ<sub>r</sub> v<sub>r</sub> · (Σ<sub>c</sub> w<sub>c</sub> S<sub>rc</sub>) / (Σ<sub>c</sub> w<sub>c</sub> n<sub>c</sub>),
 *   S<sub>rc</sub> = Σ<sub>q in c</sub> x[r][q].</pre></li>
 * </ol>
 * The per-cluster per-replicate sums S are computed once, so a resample costs O(K + R + C + R·C) rather than
 * touching every question. With a single group, step 1 always draws that group and only its replicates are
 * resampled; with one replicate and one group the scheme reduces to a cluster bootstrap over questions; with every
 * question its own cluster it is an ordinary bootstrap over questions.
 *
 * <p>The point estimate is the plain mean of x over all replicates and questions. The 95% interval is the percentile
 * interval: the 2.5% and 97.5% quantiles (linear interpolation between order statistics) of the B resampled θ*.
 * Resampling at every level with replacement tends to over- rather than under-state the variance of nested data,
 * so the intervals err on the wide side.
 *
 * <p>Every call starts a fresh generator from the seed, so the same inputs give the same result, and {@link #mean}
 * and {@link #paired} on inputs of the same shape use the same resamples.
 */
public final class HierarchicalBootstrap {
    /** The default number of resamples B. */
    public static final int DEFAULT_RESAMPLES = 2000;
    private static final double LOWER_QUANTILE = 0.025;
    private static final double UPPER_QUANTILE = 0.975;

    private final long seed;
    private final int resamples;

    /** B = {@value #DEFAULT_RESAMPLES} resamples drawn from {@code seed}. */
    public HierarchicalBootstrap(long seed) {
        this(seed, DEFAULT_RESAMPLES);
    }

    /** {@code resamples} resamples drawn from {@code seed}. */
    public HierarchicalBootstrap(long seed, int resamples) {
        if (resamples < 1) {
            throw new IllegalArgumentException("HierarchicalBootstrap: resamples must be >= 1, got " + resamples);
        }
        this.seed = seed;
        this.resamples = resamples;
    }

    public long seed() {
        return seed;
    }

    public int resamples() {
        return resamples;
    }

    /** The mean of {@code x} over replicates and questions with its 95% percentile interval. */
    public Interval mean(double[][] x, int[] repGroup, int[] cluster) {
        double[] stats = resampledMeans(x, repGroup, cluster);
        Arrays.sort(stats);
        return new Interval(plainMean(x), quantile(stats, LOWER_QUANTILE), quantile(stats, UPPER_QUANTILE));
    }

    /**
     * A paired comparison of scorers a and b on the same replicates and questions: the mean difference a − b, its
     * 95% percentile interval, and a two-sided bootstrap p-value for H0: difference = 0.
     *
     * <p>The bootstrap runs on d[r][q] = a[r][q] − b[r][q], so each resample draws the same groups, replicates and
     * clusters for both scorers. With d*<sub>1..B</sub> the resampled mean differences,
     * <pre>  p = min(1, 2 · min((1 + #{d* ≤ 0}) / (B + 1), (1 + #{d* ≥ 0}) / (B + 1)))</pre>
     * This inverts the percentile interval: p is (up to the +1 terms, which keep p away from 0 with finitely many
     * resamples) the smallest α at which the two-sided (1 − α) percentile interval excludes 0, so p &lt; 0.05 exactly
     * when the 95% interval lies on one side of 0. The smallest p it can give is 2 / (B + 1). When every
     * difference is zero, p = 1.
     */
    public PairedTest paired(double[][] a, double[][] b, int[] repGroup, int[] cluster) {
        checkShape(a, repGroup, cluster, "a");
        checkShape(b, repGroup, cluster, "b");
        double[][] d = new double[a.length][];
        boolean allZero = true;
        for (int r = 0; r < a.length; r++) {
            if (b[r].length != a[r].length) {
                throw new IllegalArgumentException("HierarchicalBootstrap: a and b differ in shape at replicate " + r);
            }
            d[r] = new double[a[r].length];
            for (int q = 0; q < a[r].length; q++) {
                d[r][q] = a[r][q] - b[r][q];
                allZero &= d[r][q] == 0.0;
            }
        }
        if (allZero) {
            return new PairedTest(0.0, 0.0, 0.0, 1.0);
        }
        double[] stats = resampledMeans(d, repGroup, cluster);
        int atMostZero = 0, atLeastZero = 0;
        for (double s : stats) {
            if (s <= 0.0) {
                atMostZero++;
            }
            if (s >= 0.0) {
                atLeastZero++;
            }
        }
        double oneSided = Math.min(1.0 + atMostZero, 1.0 + atLeastZero) / (resamples + 1.0);
        double p = Math.min(1.0, 2.0 * oneSided);
        Arrays.sort(stats);
        return new PairedTest(plainMean(a) - plainMean(b), quantile(stats, LOWER_QUANTILE),
                quantile(stats, UPPER_QUANTILE), p);
    }

    /**
     * The B resampled statistics θ* (see the class comment), in resample order; for callers that want another
     * summary of the bootstrap distribution.
     */
    public double[] resampledMeans(double[][] x, int[] repGroup, int[] cluster) {
        checkShape(x, repGroup, cluster, "x");
        int reps = x.length;
        int[][] groupReps = groupMembers(repGroup);
        int groups = groupReps.length;
        int[] clusterIndex = new int[cluster.length];
        int clusters = denseLabels(cluster, clusterIndex);
        double[] clusterSize = new double[clusters];
        for (int ci : clusterIndex) {
            clusterSize[ci]++;
        }
        // sums[r * clusters + c] = Σ over the questions q of cluster c of x[r][q].
        double[] sums = new double[reps * clusters];
        for (int r = 0; r < reps; r++) {
            double[] row = x[r];
            int base = r * clusters;
            for (int q = 0; q < row.length; q++) {
                sums[base + clusterIndex[q]] += row[q];
            }
        }

        SplittableRandom rng = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        int[] repCount = new int[reps];
        double[] clusterWeight = new double[clusters];
        for (int s = 0; s < resamples; s++) {
            Arrays.fill(repCount, 0);
            int drawnReps = 0;
            for (int i = 0; i < groups; i++) {
                int[] members = groupReps[rng.nextInt(groups)];
                for (int j = 0; j < members.length; j++) {
                    repCount[members[rng.nextInt(members.length)]]++;
                    drawnReps++;
                }
            }
            Arrays.fill(clusterWeight, 0.0);
            double drawnQuestions = 0.0;
            for (int i = 0; i < clusters; i++) {
                int c = rng.nextInt(clusters);
                clusterWeight[c] += 1.0;
                drawnQuestions += clusterSize[c];
            }
            double total = 0.0;
            for (int r = 0; r < reps; r++) {
                if (repCount[r] == 0) {
                    continue;
                }
                int base = r * clusters;
                double dot = 0.0;
                for (int c = 0; c < clusters; c++) {
                    dot += clusterWeight[c] * sums[base + c];
                }
                total += repCount[r] * dot;
            }
            stats[s] = total / (drawnReps * drawnQuestions);
        }
        return stats;
    }

    /** The mean of x over all replicates and questions. */
    static double plainMean(double[][] x) {
        double sum = 0.0;
        long n = 0;
        for (double[] row : x) {
            for (double v : row) {
                sum += v;
            }
            n += row.length;
        }
        return sum / n;
    }

    /** The q-quantile of ascending {@code sorted}, interpolating linearly between order statistics. */
    static double quantile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /** The replicate indices of each distinct group label, groups in order of first appearance. */
    private static int[][] groupMembers(int[] repGroup) {
        int[] dense = new int[repGroup.length];
        int groups = denseLabels(repGroup, dense);
        int[] counts = new int[groups];
        for (int g : dense) {
            counts[g]++;
        }
        int[][] members = new int[groups][];
        for (int g = 0; g < groups; g++) {
            members[g] = new int[counts[g]];
        }
        int[] fill = new int[groups];
        for (int r = 0; r < dense.length; r++) {
            members[dense[r]][fill[dense[r]]++] = r;
        }
        return members;
    }

    /** Maps arbitrary labels to 0..k-1 in order of first appearance, writing them to {@code out}; returns k. */
    private static int denseLabels(int[] labels, int[] out) {
        Map<Integer, Integer> index = new LinkedHashMap<>();
        for (int i = 0; i < labels.length; i++) {
            Integer k = index.get(labels[i]);
            if (k == null) {
                k = index.size();
                index.put(labels[i], k);
            }
            out[i] = k;
        }
        return index.size();
    }

    private static void checkShape(double[][] x, int[] repGroup, int[] cluster, String name) {
        if (x.length == 0) {
            throw new IllegalArgumentException("HierarchicalBootstrap: " + name + " has no replicates");
        }
        if (repGroup.length != x.length) {
            throw new IllegalArgumentException("HierarchicalBootstrap: " + name + " has " + x.length
                    + " replicates but repGroup has " + repGroup.length + " entries");
        }
        if (cluster.length == 0) {
            throw new IllegalArgumentException("HierarchicalBootstrap: no questions");
        }
        for (int r = 0; r < x.length; r++) {
            if (x[r].length != cluster.length) {
                throw new IllegalArgumentException("HierarchicalBootstrap: " + name + "[" + r + "] has "
                        + x[r].length + " questions but cluster has " + cluster.length + " entries");
            }
            for (int q = 0; q < x[r].length; q++) {
                if (!Double.isFinite(x[r][q])) {
                    throw new IllegalArgumentException("HierarchicalBootstrap: " + name + "[" + r + "][" + q
                            + "] is " + x[r][q]);
                }
            }
        }
    }
}
