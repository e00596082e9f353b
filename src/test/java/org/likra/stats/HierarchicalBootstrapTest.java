package org.likra.stats;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HierarchicalBootstrapTest {
    /** Each question its own cluster. */
    private static int[] ownClusters(int questions) {
        int[] c = new int[questions];
        for (int q = 0; q < questions; q++) {
            c[q] = q;
        }
        return c;
    }

    /** Consecutive blocks of {@code size} questions form one cluster. */
    private static int[] blockClusters(int questions, int size) {
        int[] c = new int[questions];
        for (int q = 0; q < questions; q++) {
            c[q] = q / size;
        }
        return c;
    }

    private static double[] bernoulli(Random rng, int n, double p) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rng.nextDouble() < p ? 1.0 : 0.0;
        }
        return x;
    }

    /** {@code ones} ones and the rest zeros in a shuffled order. */
    private static double[] exactMean(Random rng, int n, int ones) {
        double[] x = new double[n];
        for (int i = 0; i < ones; i++) {
            x[i] = 1.0;
        }
        shuffle(rng, x);
        return x;
    }

    private static void shuffle(Random rng, double[] x) {
        for (int i = x.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }

    @Test
    void sameSeedSameResultOtherSeedOtherResult() {
        Random rng = new Random(1);
        double[][] x = {bernoulli(rng, 500, 0.6), bernoulli(rng, 500, 0.5), bernoulli(rng, 500, 0.7)};
        int[] groups = {0, 0, 1};
        int[] clusters = blockClusters(500, 4);
        Interval first = new HierarchicalBootstrap(42).mean(x, groups, clusters);
        Interval second = new HierarchicalBootstrap(42).mean(x, groups, clusters);
        assertEquals(first, second);
        Interval other = new HierarchicalBootstrap(43).mean(x, groups, clusters);
        assertEquals(first.estimate(), other.estimate(), 0.0);
        assertNotEquals(first.low(), other.low());
    }

    @Test
    void labelsAreArbitrary() {
        Random rng = new Random(2);
        double[][] x = {bernoulli(rng, 300, 0.6), bernoulli(rng, 300, 0.6)};
        int[] clusters = blockClusters(300, 3);
        int[] relabelled = new int[clusters.length];
        for (int q = 0; q < clusters.length; q++) {
            relabelled[q] = 1000 + 7 * clusters[q];
        }
        HierarchicalBootstrap boot = new HierarchicalBootstrap(5);
        assertEquals(boot.mean(x, new int[] {0, 1}, clusters), boot.mean(x, new int[] {-3, 9}, relabelled));
    }

    @Test
    void oneReplicateMatchesNormalApproximation() {
        int n = 1000;
        double[][] x = {exactMean(new Random(3), n, 600)};
        Interval ci = new HierarchicalBootstrap(11).mean(x, new int[] {0}, ownClusters(n));
        assertEquals(0.6, ci.estimate(), 1e-12);
        double half = 1.959964 * Math.sqrt(0.6 * 0.4 / n);
        assertEquals(0.6 - half, ci.low(), 0.006);
        assertEquals(0.6 + half, ci.high(), 0.006);
        assertTrue(ci.low() > 0.56 && ci.low() < 0.58, ci.toString());
        assertTrue(ci.high() > 0.62 && ci.high() < 0.64, ci.toString());
    }

    @Test
    void correlatedClustersWidenTheInterval() {
        int clusters = 200, size = 5, n = clusters * size;
        Random rng = new Random(4);
        double[] correlated = new double[n];
        for (int c = 0; c < clusters; c++) {
            double v = rng.nextDouble() < 0.6 ? 1.0 : 0.0;
            for (int k = 0; k < size; k++) {
                correlated[c * size + k] = v;
            }
        }
        double[] independent = bernoulli(rng, n, 0.6);
        int[] blocks = blockClusters(n, size);
        HierarchicalBootstrap boot = new HierarchicalBootstrap(12);
        double wCorrelated = boot.mean(new double[][] {correlated}, new int[] {0}, blocks).width();
        double wIndependent = boot.mean(new double[][] {independent}, new int[] {0}, blocks).width();
        double wIgnoringClusters = boot.mean(new double[][] {correlated}, new int[] {0}, ownClusters(n)).width();
        // Perfect correlation within clusters of 5 leaves 200 independent values: about √5 ≈ 2.24 times wider.
        assertTrue(wCorrelated > 1.7 * wIndependent, wCorrelated + " vs " + wIndependent);
        assertTrue(wCorrelated > 1.7 * wIgnoringClusters, wCorrelated + " vs " + wIgnoringClusters);
    }

    @Test
    void pairedTestDetectsARealDifference() {
        Random rng = new Random(5);
        int reps = 3, n = 1000;
        double[][] a = new double[reps][], b = new double[reps][];
        for (int r = 0; r < reps; r++) {
            a[r] = bernoulli(rng, n, 0.65);
            b[r] = bernoulli(rng, n, 0.55);
        }
        PairedTest t = new HierarchicalBootstrap(13).paired(a, b, new int[] {0, 1, 2}, blockClusters(n, 2));
        assertTrue(t.p() < 0.01, t.toString());
        assertTrue(t.low() > 0.0 && t.high() > t.low(), t.toString());
        assertEquals(0.1, t.estimate(), 0.04);
    }

    @Test
    void pairedTestFindsNothingWhenTheScorersAreAlike() {
        Random rng = new Random(6);
        int reps = 3, n = 1000;
        double[][] a = new double[reps][], b = new double[reps][];
        for (int r = 0; r < reps; r++) {
            a[r] = bernoulli(rng, n, 0.6);
            b[r] = a[r].clone();
            shuffle(rng, b[r]);
        }
        PairedTest t = new HierarchicalBootstrap(14).paired(a, b, new int[] {0, 0, 1}, blockClusters(n, 2));
        assertEquals(0.0, t.estimate(), 1e-12);
        assertTrue(t.p() > 0.2, t.toString());
        assertTrue(t.low() < 0.0 && t.high() > 0.0, t.toString());
    }

    @Test
    void identicalScorersGivePOne() {
        double[][] a = {{1, 0, 1, 1}, {0, 0, 1, 1}};
        PairedTest t = new HierarchicalBootstrap(15).paired(a, a, new int[] {0, 1}, new int[] {0, 0, 1, 1});
        assertEquals(new PairedTest(0.0, 0.0, 0.0, 1.0), t);
    }

    @Test
    void oneDominantBaseSeedWidensTheInterval() {
        Random rng = new Random(7);
        int n = 1000;
        double[][] x = new double[9][];
        double[][] alike = new double[9][];
        for (int r = 0; r < 9; r++) {
            x[r] = bernoulli(rng, n, r < 3 ? 0.85 : 0.55);
            alike[r] = bernoulli(rng, n, 0.65);
        }
        int[] threeSeeds = {0, 0, 0, 1, 1, 1, 2, 2, 2};
        int[] oneSeed = new int[9];
        int[] questions = ownClusters(n);
        HierarchicalBootstrap boot = new HierarchicalBootstrap(16);
        double nested = boot.mean(x, threeSeeds, questions).width();
        double flat = boot.mean(x, oneSeed, questions).width();
        double noSeedEffect = boot.mean(alike, threeSeeds, questions).width();
        // Three base seeds carry the between-seed spread with only 3 draws; one group treats the 9 runs as independent.
        assertTrue(nested > 1.3 * flat, nested + " vs " + flat);
        assertTrue(nested > 3.0 * noSeedEffect, nested + " vs " + noSeedEffect);
    }

    @Test
    void rejectsMismatchedShapes() {
        HierarchicalBootstrap boot = new HierarchicalBootstrap(1);
        double[][] x = {{1, 0}, {0, 1}};
        assertThrows(IllegalArgumentException.class, () -> boot.mean(x, new int[] {0}, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> boot.mean(x, new int[] {0, 1}, new int[] {0}));
        assertThrows(IllegalArgumentException.class,
                () -> boot.paired(x, new double[][] {{1, 0}}, new int[] {0, 1}, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class,
                () -> boot.mean(new double[][] {{Double.NaN, 0}}, new int[] {0}, new int[] {0, 1}));
    }

    @Test
    void fastAtTheLargestShape() {
        Random rng = new Random(8);
        int reps = 30, n = 3000;
        double[][] a = new double[reps][], b = new double[reps][];
        int[] groups = new int[reps];
        for (int r = 0; r < reps; r++) {
            a[r] = bernoulli(rng, n, 0.6);
            b[r] = bernoulli(rng, n, 0.58);
            groups[r] = r / 3;
        }
        int[] clusters = blockClusters(n, 1);
        HierarchicalBootstrap boot = new HierarchicalBootstrap(17);
        boot.paired(a, b, groups, clusters); // warm-up
        long t0 = System.nanoTime();
        boot.paired(a, b, groups, clusters);
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("HierarchicalBootstrap.paired reps=30 questions=3000 clusters=3000 B=2000: %.3f s%n", seconds);
        assertTrue(seconds < 2.0, "paired took " + seconds + " s");
    }
}
