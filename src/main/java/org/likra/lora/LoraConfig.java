package org.likra.lora;

import org.likra.util.UserError;

import java.util.List;
import java.util.Set;

/**
 * A LoRA adapter's shape: rank r, scaling alpha (the update is (alpha / r) B A), the projections it adapts, and the
 * dropout on the adapter's input while training (PEFT's {@code lora_dropout}).
 *
 * <p>Targets follow PEFT's {@code target_modules}: a module is adapted when its name equals a target or ends with
 * "." and the target, so {@code q_proj} adapts every layer's query projection, {@code self_attn.q_proj} the same,
 * and {@code model.layers.0.mlp.up_proj} one layer's only. The last part of each target must be one of the seven
 * projections a Llama block has.
 */
public record LoraConfig(int rank, double alpha, List<String> targets, double dropout) {
    /** The paper's default targets: the MLP projections. */
    public static final List<String> MLP = List.of("gate_proj", "up_proj", "down_proj");
    /** Every linear projection of a block, in block order (PEFT's "all-linear" for these models, without lm_head). */
    public static final List<String> ALL = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
            "down_proj");
    public static final Set<String> KNOWN = Set.copyOf(ALL);

    public LoraConfig {
        if (rank <= 0) {
            throw new UserError("LoRA rank must be positive, got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new UserError("LoRA alpha must be a positive number, got " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new UserError("LoRA dropout must be in [0, 1), got " + dropout);
        }
        if (targets.isEmpty()) {
            throw new UserError("LoRA needs at least one target module (" + String.join(", ", ALL) + ")");
        }
        for (String t : targets) {
            if (!KNOWN.contains(kind(t))) {
                throw new UserError("unknown LoRA target '" + t + "' (known: q_proj, k_proj, v_proj, o_proj, "
                        + "gate_proj, up_proj, down_proj, optionally after a module path such as self_attn. or "
                        + "model.layers.0.mlp.)");
            }
        }
        targets = List.copyOf(targets);
    }

    /** Without dropout. */
    public LoraConfig(int rank, double alpha, List<String> targets) {
        this(rank, alpha, targets, 0);
    }

    /** The paper's defaults: rank 8, alpha 8, MLP projections. */
    public static LoraConfig defaults() {
        return new LoraConfig(8, 8, MLP);
    }

    public float scale() {
        return (float) (alpha / rank);
    }

    /** Whether the module of that name (model.layers.3.mlp.up_proj) is adapted. */
    public boolean targets(String module) {
        for (String t : targets) {
            if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /** "mlp.up_proj" -> "up_proj". */
    static String kind(String module) {
        return module.substring(module.lastIndexOf('.') + 1);
    }
}
