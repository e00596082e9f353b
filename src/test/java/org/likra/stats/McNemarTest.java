package org.likra.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class McNemarTest {
    @Test
    void oneVersusNine() {
        // P(X <= 1), X ~ Bin(10, 1/2) = (C(10,0) + C(10,1)) / 2^10 = 11/1024; two-sided 22/1024.
        McNemar.Result r = McNemar.fromCounts(1, 9);
        assertEquals(0.021484375, r.p(), 1e-12);
        assertEquals(r.p(), McNemar.fromCounts(9, 1).p(), 0.0);
    }

    @Test
    void smallCountsByHand() {
        // b=0, c=5: 2 · 1/32 = 0.0625.
        assertEquals(0.0625, McNemar.fromCounts(0, 5).p(), 1e-12);
        // b=2, c=6: 2 · (1 + 8 + 28) / 256 = 74/256.
        assertEquals(74.0 / 256.0, McNemar.fromCounts(2, 6).p(), 1e-12);
        // b=3, c=3: 2 · P(X <= 3 | n=6) = 2 · 42/64 > 1 -> 1.
        assertEquals(1.0, McNemar.fromCounts(3, 3).p(), 0.0);
        assertEquals(1.0, McNemar.fromCounts(0, 0).p(), 0.0);
    }

    @Test
    void countsFromPairedOutcomes() {
        double[] a = {1, 1, 0, 0, 1, 1, 0};
        double[] b = {1, 0, 1, 0, 0, 0, 1};
        McNemar.Result r = McNemar.test(a, b);
        assertEquals(3, r.b());
        assertEquals(2, r.c());
        // 2 · P(X <= 2 | n=5) = 2 · 16/32 = 1.
        assertEquals(1.0, r.p(), 0.0);
        boolean[] x = {true, true, true, true, true, true, true, true};
        boolean[] y = {false, false, false, false, false, false, false, true};
        McNemar.Result s = McNemar.test(x, y);
        assertEquals(7, s.b());
        assertEquals(0, s.c());
        assertEquals(2.0 / 128.0, s.p(), 1e-12);
    }

    @Test
    void rejectsNonBinaryAndMismatchedInputs() {
        assertThrows(IllegalArgumentException.class, () -> McNemar.test(new double[] {0.5}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> McNemar.test(new double[] {1, 0}, new double[] {1}));
    }
}
