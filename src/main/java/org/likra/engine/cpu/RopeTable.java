package org.likra.engine.cpu;

/**
 * cos and sin of the RoPE angles for one (theta, headDim): angle(p, i) = p * theta^(-2i/d) for positions
 * p &lt; {@link #positions()} and pairs i &lt; d/2, row-major [p][i]. Computed in double, stored as float.
 */
final class RopeTable {
    final float theta;
    final int headDim;
    final float[] cos;
    final float[] sin;

    RopeTable(float theta, int headDim, int positions) {
        this.theta = theta;
        this.headDim = headDim;
        int half = headDim / 2;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        for (int p = 0; p < positions; p++) {
            for (int i = 0; i < half; i++) {
                double angle = p * Math.pow(theta, -2.0 * i / headDim);
                cos[p * half + i] = (float) Math.cos(angle);
                sin[p * half + i] = (float) Math.sin(angle);
            }
        }
    }

    int positions() {
        int half = headDim / 2;
        return half == 0 ? Integer.MAX_VALUE : cos.length / half;
    }

    boolean fits(float theta, int headDim, int positions) {
        return this.theta == theta && this.headDim == headDim && positions() >= positions;
    }
}
