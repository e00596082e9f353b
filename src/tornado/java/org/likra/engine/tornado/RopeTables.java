package org.likra.engine.tornado;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.HashMap;
import java.util.Map;

/**
 * The cos/sin tables the RoPE kernels read ({@code org.likra.kernels.Rope}), one per (time, head size, theta,
 * position offset), computed in double on the host at first use and kept: entry (t, i) holds cos and sin of
 * (positionOffset + t) theta^(-2i/d) at [2 (t d/2 + i)] and [2 (t d/2 + i) + 1].
 */
final class RopeTables {
    private final Map<String, FloatArray> tables = new HashMap<>();

    FloatArray table(int time, int headDim, float theta, int positionOffset) {
        String key = time + "/" + headDim + "/" + theta + "/" + positionOffset;
        return tables.computeIfAbsent(key, k -> {
            int half = headDim / 2;
            FloatArray table = new FloatArray(Math.max(2, time * half * 2));
            for (int t = 0; t < time; t++) {
                for (int i = 0; i < half; i++) {
                    double angle = (positionOffset + t) * Math.pow(theta, -2.0 * i / headDim);
                    table.set((t * half + i) * 2, (float) Math.cos(angle));
                    table.set((t * half + i) * 2 + 1, (float) Math.sin(angle));
                }
            }
            return table;
        });
    }
}
