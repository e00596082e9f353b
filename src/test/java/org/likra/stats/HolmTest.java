package org.likra.stats;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HolmTest {
    @Test
    void handWorkedExample() {
        // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> max(0.06, 0.04) = 0.06.
        double[] adjusted = Holm.adjust(new double[] {0.01, 0.04, 0.03, 0.005});
        assertArrayEquals(new double[] {0.03, 0.06, 0.06, 0.02}, adjusted, 1e-12);
    }

    @Test
    void capsAtOneAndKeepsTies() {
        double[] adjusted = Holm.adjust(new double[] {0.5, 0.2, 0.2, 0.9});
        // Sorted: 0.2·4 = 0.8, 0.2·3 = 0.6 -> 0.8, 0.5·2 = 1.0, 0.9·1 = 0.9 -> 1.0.
        assertArrayEquals(new double[] {1.0, 0.8, 0.8, 1.0}, adjusted, 1e-12);
    }

    @Test
    void singleAndEmpty() {
        assertArrayEquals(new double[] {0.03}, Holm.adjust(new double[] {0.03}), 0.0);
        assertArrayEquals(new double[0], Holm.adjust(new double[0]), 0.0);
    }

    @Test
    void rejectsValuesOutsideUnitInterval() {
        assertThrows(IllegalArgumentException.class, () -> Holm.adjust(new double[] {0.1, Double.NaN}));
        assertThrows(IllegalArgumentException.class, () -> Holm.adjust(new double[] {1.5}));
    }
}
