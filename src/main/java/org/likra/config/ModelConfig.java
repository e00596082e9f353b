package org.likra.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.likra.util.UserError;

/**
 * The architecture of a decoder-only transformer. One record covers Llama-style models (RMSNorm, RoPE, SwiGLU,
 * grouped-query attention, no biases) and GPT-2-style models (LayerNorm, learned positions, GELU, biases, tied
 * embeddings).
 *
 * @param name          a short label (the preset's name)
 * @param dim           model width C
 * @param layers        number of transformer blocks L
 * @param heads         query heads H; head size is dim / heads
 * @param kvHeads       key/value heads (divides heads); heads == kvHeads is ordinary multi-head attention
 * @param hidden        MLP hidden size F
 * @param vocab         vocabulary size V
 * @param context       the longest sequence the model accepts (T max)
 * @param norm          rmsnorm or layernorm
 * @param mlp           swiglu (gate, up, down) or gelu (up, down)
 * @param positions     rope (rotary, Hugging Face rotate-halves layout) or learned (a position embedding table)
 * @param bias          linear layers carry biases
 * @param tiedEmbeddings the LM head reuses the token embedding table
 * @param ropeTheta     RoPE base frequency
 * @param normEps       epsilon inside the norms
 * @param qkvBias       the q, k and v projections carry biases even where {@code bias} is false (Qwen2)
 * @param ropeScaling   Llama 3's rescaling of the RoPE frequencies, or null for plain RoPE
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record ModelConfig(
        @JsonProperty("name") String name,
        @JsonProperty("dim") int dim,
        @JsonProperty("layers") int layers,
        @JsonProperty("heads") int heads,
        @JsonProperty("kv_heads") int kvHeads,
        @JsonProperty("hidden") int hidden,
        @JsonProperty("vocab") int vocab,
        @JsonProperty("context") int context,
        @JsonProperty("norm") Norm norm,
        @JsonProperty("mlp") Mlp mlp,
        @JsonProperty("positions") Positions positions,
        @JsonProperty("bias") boolean bias,
        @JsonProperty("tied_embeddings") boolean tiedEmbeddings,
        @JsonProperty("rope_theta") double ropeTheta,
        @JsonProperty("norm_eps") double normEps,
        @JsonIgnore boolean qkvBias,
        @JsonIgnore RopeScaling ropeScaling) {

    /**
     * A config without q/k/v-only biases and without RoPE scaling: every preset (the JSON a preset file holds) and
     * every model of our own formats.
     */
    @JsonCreator
    public ModelConfig(@JsonProperty("name") String name, @JsonProperty("dim") int dim,
                       @JsonProperty("layers") int layers, @JsonProperty("heads") int heads,
                       @JsonProperty("kv_heads") int kvHeads, @JsonProperty("hidden") int hidden,
                       @JsonProperty("vocab") int vocab, @JsonProperty("context") int context,
                       @JsonProperty("norm") Norm norm, @JsonProperty("mlp") Mlp mlp,
                       @JsonProperty("positions") Positions positions, @JsonProperty("bias") boolean bias,
                       @JsonProperty("tied_embeddings") boolean tiedEmbeddings,
                       @JsonProperty("rope_theta") double ropeTheta, @JsonProperty("norm_eps") double normEps) {
        this(name, dim, layers, heads, kvHeads, hidden, vocab, context, norm, mlp, positions, bias, tiedEmbeddings,
                ropeTheta, normEps, false, null);
    }

    public enum Norm { rmsnorm, layernorm }

    public enum Mlp { swiglu, gelu }

    public enum Positions { rope, learned }

    public int headDim() {
        return dim / heads;
    }

    /** Whether the q, k and v projections carry biases (all linear layers do when {@code bias}). */
    public boolean attentionInputBias() {
        return bias || qkvBias;
    }

    /** Width of the key and value projections: kvHeads * headDim. */
    public int kvDim() {
        return kvHeads * headDim();
    }

    public ModelConfig withVocab(int newVocab) {
        return new ModelConfig(name, dim, layers, heads, kvHeads, hidden, newVocab, context, norm, mlp, positions,
                bias, tiedEmbeddings, ropeTheta, normEps, qkvBias, ropeScaling);
    }

    public ModelConfig withName(String newName) {
        return new ModelConfig(newName, dim, layers, heads, kvHeads, hidden, vocab, context, norm, mlp, positions,
                bias, tiedEmbeddings, ropeTheta, normEps, qkvBias, ropeScaling);
    }

    /**
     * Checks every constraint the model code relies on.
     *
     * @param where the file or label named in the error message
     * @return this config
     * @throws UserError naming the offending field and the file
     */
    public ModelConfig validate(String where) {
        require(dim > 0, where, "dim must be positive, got " + dim);
        require(layers > 0, where, "layers must be positive, got " + layers);
        require(heads > 0, where, "heads must be positive, got " + heads);
        require(kvHeads > 0, where, "kv_heads must be positive, got " + kvHeads);
        require(hidden > 0, where, "hidden must be positive, got " + hidden);
        require(vocab > 0, where, "vocab must be positive, got " + vocab);
        require(context > 0, where, "context must be positive, got " + context);
        require(norm != null, where, "norm must be rmsnorm or layernorm");
        require(mlp != null, where, "mlp must be swiglu or gelu");
        require(positions != null, where, "positions must be rope or learned");
        require(dim % heads == 0, where, "dim (" + dim + ") must be divisible by heads (" + heads + ")");
        require(heads % kvHeads == 0, where, "heads (" + heads + ") must be divisible by kv_heads (" + kvHeads + ")");
        require(positions != Positions.rope || headDim() % 2 == 0, where,
                "RoPE needs an even head size, got dim/heads = " + headDim());
        require(positions != Positions.rope || ropeTheta > 0, where, "rope_theta must be positive, got " + ropeTheta);
        require(normEps > 0, where, "norm_eps must be positive, got " + normEps);
        require(ropeScaling == null || positions == Positions.rope, where, "rope_scaling needs RoPE positions");
        if (ropeScaling != null) {
            ropeScaling.validate(where);
        }
        return this;
    }

    private static void require(boolean ok, String where, String what) {
        if (!ok) {
            throw new UserError(where + ": " + what);
        }
    }
}
