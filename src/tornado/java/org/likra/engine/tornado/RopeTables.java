package org.likra.engine.tornado;

import org.likra.config.RopeScaling;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

import java.util.HashMap;
import java.util.Map;

/**
 * The cos/sin tables the RoPE kernels read ({@code org.likra.kernels.Rope}), one per (time, head size, theta,
 * scaling, position offset), computed in double on the host at first use and kept: entry (t, i) holds cos and sin of
 * (positionOffset + t) f_i at [2 (t d/2 + i)] and [2 (t d/2 + i) + 1], where f_i = theta^(-2i/d), rescaled by
 * {@link RopeScaling#apply} when the model's config has rope_scaling (as the cpu engine's RopeTable does).
 */
final class RopeTables {
    private final Map<String, FloatArray> tables = new HashMap<>();

    FloatArray table(int time, int headDim, float theta, RopeScaling scaling, int positionOffset) {
        String key = time + "/" + headDim + "/" + theta + "/" + scaling + "/" + positionOffset;
        return tables.computeIfAbsent(key, k -> {
            int half = headDim / 2;
            FloatArray table = new FloatArray(Math.max(2, time * half * 2));
            for (int t = 0; t < time; t++) {
                for (int i = 0; i < half; i++) {
                    double frequency = Math.pow(theta, -2.0 * i / headDim);
                    double angle = (positionOffset + t) * (scaling == null ? frequency : scaling.apply(frequency));
                    table.set((t * half + i) * 2, (float) Math.cos(angle));
                    table.set((t * half + i) * 2 + 1, (float) Math.sin(angle));
                }
            }
            return table;
        });
    }
}
