package org.likra.engine.cpu;

import org.likra.config.RopeScaling;

import java.util.Objects;

/**
 * cos and sin of the RoPE angles for one (theta, scaling, headDim): angle(p, i) = p * f(i) with f(i) = theta^(-2i/d),
 * rescaled by {@link RopeScaling#apply} when there is a scaling, for positions
 * p &lt; {@link #positions()} and pairs i &lt; d/2, row-major [p][i]. Computed in double, stored as float.
 */
final class RopeTable {
    final float theta;
    /** Null: plain frequencies. */
    final RopeScaling scaling;
    final int headDim;
    final float[] cos;
    final float[] sin;

    RopeTable(float theta, RopeScaling scaling, int headDim, int positions) {
        this.theta = theta;
        this.scaling = scaling;
        this.headDim = headDim;
        int half = headDim / 2;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double frequency = Math.pow(theta, -2.0 * i / headDim);
                double angle = p * (scaling == null ? frequency : scaling.apply(frequency));
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    int positions() {
        int half = headDim / 2;
        return half == 0 ? Integer.MAX_VALUE : cos.length / half;
    }

    boolean fits(float theta, RopeScaling scaling, int headDim, int positions) {
        return this.theta == theta && Objects.equals(this.scaling, scaling) && this.headDim == headDim
                && positions() >= positions;
    }
}
