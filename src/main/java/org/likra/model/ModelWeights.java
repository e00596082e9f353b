package org.likra.model;

import org.likra.config.ModelConfig;
import org.likra.engine.Tensor;

/**
 * Named views into one flat buffer laid out by {@link ParameterLayout}: the model's parameters, or (over the
 * gradient buffer) their gradients. Views only: nothing is copied.
 */
public final class ModelWeights {

    /** A linear layer's weight [out, in] and optional bias [out]. */
    public record Linear(String name, Tensor weight, Tensor bias, int inDim, int outDim) {
    }

    /** A norm's weight and (LayerNorm only) bias. */
    public record Norm(Tensor weight, Tensor bias) {
    }

    /** One transformer block. {@code gate} is null for GELU MLPs. */
    public record Block(Norm attentionNorm, Linear q, Linear k, Linear v, Linear o, Norm mlpNorm, Linear gate,
                        Linear up, Linear down) {
    }

    public final Tensor tokenEmbedding;
    /** Null unless positions are learned. */
    public final Tensor positionEmbedding;
    public final Block[] blocks;
    public final Norm finalNorm;
    /** The LM head; the token embedding itself when embeddings are tied. */
    public final Linear lmHead;

    public ModelWeights(Tensor buffer, ParameterLayout layout, ModelConfig config) {
        this.tokenEmbedding = view(buffer, layout, "model.embed_tokens.weight");
        this.positionEmbedding = config.positions() == ModelConfig.Positions.learned
                ? view(buffer, layout, "model.embed_positions.weight") : null;
        this.blocks = new Block[config.layers()];
        int c = config.dim();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvDim();
        for (int l = 0; l < config.layers(); l++) {
            String p = "model.layers." + l + ".";
            blocks[l] = new Block(
                    norm(buffer, layout, p + "input_layernorm"),
                    linear(buffer, layout, p + "self_attn.q_proj", c, qDim),
                    linear(buffer, layout, p + "self_attn.k_proj", c, kvDim),
                    linear(buffer, layout, p + "self_attn.v_proj", c, kvDim),
                    linear(buffer, layout, p + "self_attn.o_proj", qDim, c),
                    norm(buffer, layout, p + "post_attention_layernorm"),
                    config.mlp() == ModelConfig.Mlp.swiglu
                            ? linear(buffer, layout, p + "mlp.gate_proj", c, config.hidden()) : null,
                    linear(buffer, layout, p + "mlp.up_proj", c, config.hidden()),
                    linear(buffer, layout, p + "mlp.down_proj", config.hidden(), c));
        }
        this.finalNorm = norm(buffer, layout, "model.norm");
        this.lmHead = config.tiedEmbeddings()
                ? new Linear("model.embed_tokens", tokenEmbedding, null, c, config.vocab())
                : linear(buffer, layout, "lm_head", c, config.vocab());
    }

    private static Tensor view(Tensor buffer, ParameterLayout layout, String name) {
        ParameterSpec spec = layout.get(name);
        return buffer.view(spec.offset(), spec.size());
    }

    private static Tensor optionalView(Tensor buffer, ParameterLayout layout, String name) {
        ParameterSpec spec = layout.find(name);
        return spec == null ? null : buffer.view(spec.offset(), spec.size());
    }

    private static Norm norm(Tensor buffer, ParameterLayout layout, String prefix) {
        return new Norm(view(buffer, layout, prefix + ".weight"), optionalView(buffer, layout, prefix + ".bias"));
    }

    private static Linear linear(Tensor buffer, ParameterLayout layout, String prefix, int in, int out) {
        return new Linear(prefix, view(buffer, layout, prefix + ".weight"),
                optionalView(buffer, layout, prefix + ".bias"), in, out);
    }
}
