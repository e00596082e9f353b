package org.likra.model;

import org.likra.config.ModelConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each parameter lives in the model's one parameter buffer, under Hugging Face Llama tensor names.
 *
 * <p>All weight-decayed tensors (matrices) come first and all others (norm weights, biases) after them, so
 * AdamW runs as two calls over two contiguous ranges. GPT-2-style models use the same naming scheme, extended
 * with {@code model.embed_positions.weight}, {@code *.bias} on norms and projections, and an MLP of
 * {@code up_proj} and {@code down_proj} without a gate. Qwen2-style models ({@link ModelConfig#qkvBias()}) add
 * {@code .bias} to the q, k and v projections only.
 */
public final class ParameterLayout {
    private final List<ParameterSpec> specs;
    private final Map<String, ParameterSpec> byName;
    private final int total;
    private final int decayedCount;

    public ParameterLayout(ModelConfig config) {
        List<Entry> matrices = new ArrayList<>();
        List<Entry> vectors = new ArrayList<>();
        int c = config.dim();
        int f = config.hidden();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvDim();
        boolean layerNorm = config.norm() == ModelConfig.Norm.layernorm;

        matrices.add(new Entry("model.embed_tokens.weight", ParameterSpec.Init.NORMAL, config.vocab(), c));
        if (config.positions() == ModelConfig.Positions.learned) {
            matrices.add(new Entry("model.embed_positions.weight", ParameterSpec.Init.NORMAL, config.context(), c));
        }
        for (int l = 0; l < config.layers(); l++) {
            String p = "model.layers." + l + ".";
            norm(vectors, p + "input_layernorm", c, layerNorm);
            linear(matrices, vectors, p + "self_attn.q_proj", qDim, c, config.attentionInputBias(), false);
            linear(matrices, vectors, p + "self_attn.k_proj", kvDim, c, config.attentionInputBias(), false);
            linear(matrices, vectors, p + "self_attn.v_proj", kvDim, c, config.attentionInputBias(), false);
            linear(matrices, vectors, p + "self_attn.o_proj", c, qDim, config.bias(), true);
            norm(vectors, p + "post_attention_layernorm", c, layerNorm);
            if (config.mlp() == ModelConfig.Mlp.swiglu) {
                linear(matrices, vectors, p + "mlp.gate_proj", f, c, config.bias(), false);
            }
            linear(matrices, vectors, p + "mlp.up_proj", f, c, config.bias(), false);
            linear(matrices, vectors, p + "mlp.down_proj", c, f, config.bias(), true);
        }
        norm(vectors, "model.norm", c, layerNorm);
        if (!config.tiedEmbeddings()) {
            matrices.add(new Entry("lm_head.weight", ParameterSpec.Init.NORMAL, config.vocab(), c));
        }

        List<ParameterSpec> all = new ArrayList<>();
        Map<String, ParameterSpec> index = new LinkedHashMap<>();
        int offset = 0;
        int decayed = 0;
        for (List<Entry> group : List.of(matrices, vectors)) {
            for (Entry e : group) {
                ParameterSpec spec = new ParameterSpec(e.name, e.shape, offset, e.init);
                offset = Math.addExact(offset, spec.size());
                all.add(spec);
                index.put(spec.name(), spec);
            }
            if (group == matrices) {
                decayed = offset;
            }
        }
        this.decayedCount = decayed;
        this.specs = Collections.unmodifiableList(all);
        this.byName = Collections.unmodifiableMap(index);
        this.total = offset;
    }

    private record Entry(String name, ParameterSpec.Init init, int... shape) {
    }

    private static void norm(List<Entry> vectors, String prefix, int c, boolean withBias) {
        vectors.add(new Entry(prefix + ".weight", ParameterSpec.Init.ONES, c));
        if (withBias) {
            vectors.add(new Entry(prefix + ".bias", ParameterSpec.Init.ZEROS, c));
        }
    }

    private static void linear(List<Entry> matrices, List<Entry> vectors, String prefix, int out, int in, boolean bias,
                               boolean residual) {
        matrices.add(new Entry(prefix + ".weight",
                residual ? ParameterSpec.Init.NORMAL_RESIDUAL : ParameterSpec.Init.NORMAL, out, in));
        if (bias) {
            vectors.add(new Entry(prefix + ".bias", ParameterSpec.Init.ZEROS, out));
        }
    }

    /** Every parameter, in buffer order. */
    public List<ParameterSpec> specs() {
        return specs;
    }

    /** The parameter of that name, or null. */
    public ParameterSpec find(String name) {
        return byName.get(name);
    }

    /** The parameter of that name; an error if the model has none. */
    public ParameterSpec get(String name) {
        ParameterSpec spec = byName.get(name);
        if (spec == null) {
            throw new IllegalArgumentException("the model has no parameter " + name);
        }
        return spec;
    }

    /** Total number of parameters. */
    public int total() {
        return total;
    }

    /** Parameters [0, decayedCount) get weight decay; [decayedCount, total) do not. */
    public int decayedCount() {
        return decayedCount;
    }
}
