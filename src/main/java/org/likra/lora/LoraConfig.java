package org.likra.lora;

import org.likra.util.UserError;

import java.util.List;
import java.util.Set;

/**
 * A LoRA adapter's shape: rank r, scaling alpha (the update is (alpha / r) B A), and the projections it adapts,
 * by their Hugging Face module names.
 */
public record LoraConfig(int rank, double alpha, List<String> targets) {
    /** The paper's default targets: the MLP projections. */
    public static final List<String> MLP = List.of("gate_proj", "up_proj", "down_proj");
    public static final Set<String> KNOWN = Set.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
            "down_proj");

    public LoraConfig {
        if (rank <= 0) {
            throw new UserError("LoRA rank must be positive, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new UserError("LoRA alpha must be a positive number, got " + alpha);
        }
        if (targets.isEmpty()) {
            throw new UserError("LoRA needs at least one target module (" + String.join(", ", KNOWN) + ")");
        }
        for (String t : targets) {
            if (!KNOWN.contains(t)) {
                throw new UserError("unknown LoRA target '" + t + "' (known: q_proj, k_proj, v_proj, o_proj, "
                        + "gate_proj, up_proj, down_proj)");
            }
        }
        targets = List.copyOf(targets);
    }

    /** The paper's defaults: rank 8, alpha 8, MLP projections. */
    public static LoraConfig defaults() {
        return new LoraConfig(8, 8, MLP);
    }

    public float scale() {
        return (float) (alpha / rank);
    }
}
