package org.likra.generate;

import org.likra.config.ModelConfig;
import org.likra.engine.Tensor;
import org.likra.lora.LoraAdapter;
import org.likra.model.ModelWeights;
import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Runs a model one token at a time with a KV cache, on the host in plain Java (llama2.c's {@code forward}): the token
 * at position p goes through every layer as one row and attends over the keys and values that the tokens before it
 * left in the cache, instead of the whole sequence going through {@link Transformer#forward} again for every new
 * token.
 *
 * <pre>
 *   x        = embed(token) [+ positions[p]]
 *   for each block l:
 *     q, k, v  = q_proj, k_proj, v_proj of norm1(x), rotated by RoPE at position p (Llama)
 *     K_l[p], V_l[p] = k, v                                    (kept for the later positions)
 *     a[h]     = sum_{s&lt;=p} softmax_s(q[h] . K_l[s, g] / sqrt(d)) V_l[s, g],   g = h / (heads / kvHeads)
 *     h        = x + o_proj(a);   x = h + down_proj(mlp(norm2(h)))
 *   logits   = lm_head(norm(x))
 * </pre>
 *
 * The operations are the engines' ({@link org.likra.engine.Engine} states each), in float32 with double sums. The
 * decoder copies the model's parameters to the host when it is made, with an attached LoRA adapter merged into the
 * weights it adapts (W + scale B A), so a decoder computes with the weights of that moment: make a new one after they
 * change. Its logits agree with the full forward pass's row p up to rounding. Positions go up to the model's context.
 */
public final class CachedDecoder {
    /** Positions the cache holds before it first grows (it doubles, up to the context). */
    private static final int INITIAL_POSITIONS = 64;
    /** Matrix-vector products with at least this many weights split their rows over the common fork-join pool. */
    private static final long PARALLEL_WEIGHTS = 1 << 20;

    /** A linear layer's weight [out, in] and bias (or -1) as offsets into {@link #w}. */
    private record Linear(int weight, int bias, int in, int out) {
    }

    /** A norm's weight and bias (or -1) as offsets into {@link #w}. */
    private record Norm(int weight, int bias) {
    }

    private record Block(Norm attentionNorm, Linear q, Linear k, Linear v, Linear o, Norm mlpNorm, Linear gate,
                         Linear up, Linear down) {
    }

    private final ModelConfig config;
    /** All parameters (ParameterLayout's order), LoRA merged in. */
    private final float[] w;
    private final int tokenEmbedding;
    private final int positionEmbedding;
    private final Block[] blocks;
    private final Norm finalNorm;
    private final Linear head;
    private final int dim;
    private final int headDim;
    private final int kvDim;
    /** theta^(-2i/d) for i &lt; d/2. */
    private final double[] ropeFrequencies;
    private final float[] ropeCos;
    private final float[] ropeSin;
    private final float[] x;
    private final float[] normed;
    private final float[] q;
    private final float[] attention;
    private final float[] branch;
    private final float[] up;
    private final float[] gate;
    private final float[] logits;
    /** Per layer, (capacity positions, kvHeads, headDim) keys (after RoPE) and values. */
    private final float[][] keys;
    private final float[][] values;
    private double[] scores;
    private int capacity;
    private int length;

    /** A decoder with the model's current parameters (and attached adapter) and an empty cache. */
    public CachedDecoder(Transformer model) {
        this.config = model.config();
        Tensor parameters = model.parameters();
        this.w = new float[parameters.length()];
        model.engine().download(parameters, w, 0);
        int base = parameters.offset();
        ModelWeights mw = model.weights();
        this.tokenEmbedding = mw.tokenEmbedding.offset() - base;
        this.positionEmbedding = mw.positionEmbedding == null ? -1 : mw.positionEmbedding.offset() - base;
        this.blocks = new Block[config.layers()];
        for (int l = 0; l < blocks.length; l++) {
            ModelWeights.Block b = mw.blocks[l];
            blocks[l] = new Block(norm(b.attentionNorm(), base), linear(b.q(), base), linear(b.k(), base),
                    linear(b.v(), base), linear(b.o(), base), norm(b.mlpNorm(), base),
                    b.gate() == null ? null : linear(b.gate(), base), linear(b.up(), base), linear(b.down(), base));
        }
        this.finalNorm = norm(mw.finalNorm, base);
        this.head = linear(mw.lmHead, base);
        if (model.adapter() instanceof LoraAdapter lora) {
            merge(lora, mw, base);
        } else if (model.adapter() != null) {
            throw new IllegalArgumentException("the cached decoder merges LoRA adapters only, not "
                    + model.adapter().getClass().getSimpleName());
        }
        this.dim = config.dim();
        this.headDim = config.headDim();
        this.kvDim = config.kvDim();
        int half = headDim / 2;
        this.ropeFrequencies = new double[half];
        for (int i = 0; i < half; i++) {
            ropeFrequencies[i] = Math.pow((float) config.ropeTheta(), -2.0 * i / headDim);
        }
        this.ropeCos = new float[half];
        this.ropeSin = new float[half];
        int qDim = config.heads() * headDim;
        this.x = new float[dim];
        this.normed = new float[dim];
        this.q = new float[qDim];
        this.attention = new float[qDim];
        this.branch = new float[dim];
        this.up = new float[config.hidden()];
        this.gate = new float[config.hidden()];
        this.logits = new float[config.vocab()];
        this.keys = new float[config.layers()][];
        this.values = new float[config.layers()][];
        grow(Math.min(INITIAL_POSITIONS, config.context()));
    }

    private static Linear linear(ModelWeights.Linear l, int base) {
        return new Linear(l.weight().offset() - base, l.bias() == null ? -1 : l.bias().offset() - base, l.inDim(),
                l.outDim());
    }

    private static Norm norm(ModelWeights.Norm n, int base) {
        return new Norm(n.weight().offset() - base, n.bias() == null ? -1 : n.bias().offset() - base);
    }

    /** W += scale * B A for every projection the adapter adapts; A (rank, in), B (out, rank). */
    private void merge(LoraAdapter adapter, ModelWeights mw, int base) {
        float[] ab = adapter.values();
        int rank = adapter.config().rank();
        double scale = adapter.config().scale();
        for (ModelWeights.Block b : mw.blocks) {
            for (ModelWeights.Linear l : new ModelWeights.Linear[] {b.q(), b.k(), b.v(), b.o(), b.gate(), b.up(),
                    b.down()}) {
                LoraAdapter.Site site = l == null ? null : adapter.site(l.name());
                if (site == null) {
                    continue;
                }
                int weight = l.weight().offset() - base;
                for (int o = 0; o < l.outDim(); o++) {
                    for (int i = 0; i < l.inDim(); i++) {
                        double sum = 0;
                        for (int r = 0; r < rank; r++) {
                            sum += (double) ab[site.bOffset + o * rank + r] * ab[site.aOffset + r * l.inDim() + i];
                        }
                        w[weight + o * l.inDim() + i] += (float) (scale * sum);
                    }
                }
            }
        }
    }

    /** Tokens run so far: the position the next token takes. */
    public int length() {
        return length;
    }

    /** Empties the cache; the next token takes position 0. */
    public void reset() {
        length = 0;
    }

    /**
     * Runs {@code tokenId} at position {@link #length()} and returns the logits (V values) of the next token; the
     * token's keys and values join the cache.
     */
    public float[] next(int tokenId) {
        if (tokenId < 0 || tokenId >= config.vocab()) {
            throw new UserError("token id " + tokenId + " at position " + length + " is outside the vocabulary [0, "
                    + config.vocab() + ") of model " + config.name());
        }
        if (length >= config.context()) {
            throw new IllegalStateException("the cache is full: the model's context is " + config.context()
                    + " tokens");
        }
        int p = length;
        if (p >= capacity) {
            grow(Math.min(config.context(), 2 * capacity));
        }
        System.arraycopy(w, tokenEmbedding + tokenId * dim, x, 0, dim);
        if (positionEmbedding >= 0) {
            for (int j = 0; j < dim; j++) {
                x[j] += w[positionEmbedding + p * dim + j];
            }
        }
        if (config.positions() == ModelConfig.Positions.rope) {
            for (int i = 0; i < ropeCos.length; i++) {
                double angle = p * ropeFrequencies[i];
                ropeCos[i] = (float) Math.cos(angle);
                ropeSin[i] = (float) Math.sin(angle);
            }
        }
        for (int l = 0; l < blocks.length; l++) {
            block(l, p);
        }
        norm(normed, x, finalNorm);
        matVec(logits, normed, head);
        length++;
        return logits.clone();
    }

    /** One block on the row x at position p, in place. */
    private void block(int l, int p) {
        Block b = blocks[l];
        norm(normed, x, b.attentionNorm());
        int at = p * kvDim;
        matVec(q, normed, b.q());
        matVecInto(keys[l], at, normed, b.k());
        matVecInto(values[l], at, normed, b.v());
        if (config.positions() == ModelConfig.Positions.rope) {
            rotate(q, 0, config.heads());
            rotate(keys[l], at, config.kvHeads());
        }
        attend(keys[l], values[l], p);
        matVec(branch, attention, b.o());
        for (int j = 0; j < dim; j++) {
            x[j] += branch[j];
        }
        norm(normed, x, b.mlpNorm());
        matVec(up, normed, b.up());
        if (b.gate() != null) {
            // SwiGLU: silu(gate) * up, silu(g) = g * sigmoid(g)
            matVec(gate, normed, b.gate());
            for (int i = 0; i < up.length; i++) {
                double g = gate[i];
                up[i] = (float) (g / (1 + Math.exp(-g)) * up[i]);
            }
        } else {
            // GELU, tanh form: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            for (int i = 0; i < up.length; i++) {
                double v = up[i];
                up[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
            }
        }
        matVec(branch, up, b.down());
        for (int j = 0; j < dim; j++) {
            x[j] += branch[j];
        }
    }

    /**
     * RoPE in the rotate-halves layout at this token's position, in place on {@code heads} heads from {@code at}:
     * v[i], v[i + d/2] = v[i] cos - v[i + d/2] sin, v[i + d/2] cos + v[i] sin.
     */
    private void rotate(float[] v, int at, int heads) {
        int half = headDim / 2;
        for (int h = 0; h < heads; h++) {
            int base = at + h * headDim;
            for (int i = 0; i < half; i++) {
                float x1 = v[base + i];
                float x2 = v[base + i + half];
                v[base + i] = x1 * ropeCos[i] - x2 * ropeSin[i];
                v[base + i + half] = x2 * ropeCos[i] + x1 * ropeSin[i];
            }
        }
    }

    /** attention[h] = sum over s &lt;= p of softmax_s(q[h] . K[s, g] / sqrt(d)) V[s, g]. */
    private void attend(float[] keyCache, float[] valueCache, int p) {
        int group = config.heads() / config.kvHeads();
        double scale = 1.0 / Math.sqrt(headDim);
        for (int h = 0; h < config.heads(); h++) {
            int g = h / group;
            int qAt = h * headDim;
            double max = Double.NEGATIVE_INFINITY;
            for (int s = 0; s <= p; s++) {
                int kAt = s * kvDim + g * headDim;
                double dot = 0;
                for (int i = 0; i < headDim; i++) {
                    dot += (double) q[qAt + i] * keyCache[kAt + i];
                }
                scores[s] = dot * scale;
                max = Math.max(max, scores[s]);
            }
            double sum = 0;
            for (int s = 0; s <= p; s++) {
                scores[s] = Math.exp(scores[s] - max);
                sum += scores[s];
            }
            for (int i = 0; i < headDim; i++) {
                double acc = 0;
                for (int s = 0; s <= p; s++) {
                    acc += scores[s] * valueCache[s * kvDim + g * headDim + i];
                }
                attention[qAt + i] = (float) (acc / sum);
            }
        }
    }

    /** RMSNorm (x rstd weight) or LayerNorm ((x - mean) rstd weight + bias) of one row. */
    private void norm(float[] out, float[] in, Norm n) {
        double eps = (float) config.normEps();
        if (config.norm() == ModelConfig.Norm.rmsnorm) {
            double squares = 0;
            for (int j = 0; j < dim; j++) {
                squares += (double) in[j] * in[j];
            }
            float rstd = (float) (1.0 / Math.sqrt(squares / dim + eps));
            for (int j = 0; j < dim; j++) {
                out[j] = in[j] * rstd * w[n.weight() + j];
            }
        } else {
            double mean = 0;
            for (int j = 0; j < dim; j++) {
                mean += in[j];
            }
            mean /= dim;
            double variance = 0;
            for (int j = 0; j < dim; j++) {
                double d = in[j] - mean;
                variance += d * d;
            }
            float rstd = (float) (1.0 / Math.sqrt(variance / dim + eps));
            float m = (float) mean;
            for (int j = 0; j < dim; j++) {
                out[j] = (in[j] - m) * rstd * w[n.weight() + j] + w[n.bias() + j];
            }
        }
    }

    private void matVec(float[] out, float[] in, Linear l) {
        matVecInto(out, 0, in, l);
    }

    /** out[at + o] = sum_i W[o, i] in[i] + bias[o] for o &lt; l.out; rows split over threads when W is large. */
    private void matVecInto(float[] out, int at, float[] in, Linear l) {
        if ((long) l.in() * l.out() >= PARALLEL_WEIGHTS) {
            int chunk = 64;
            IntStream.range(0, (l.out() + chunk - 1) / chunk).parallel()
                    .forEach(c -> rows(out, at, in, l, c * chunk, Math.min(l.out(), (c + 1) * chunk)));
        } else {
            rows(out, at, in, l, 0, l.out());
        }
    }

    private void rows(float[] out, int at, float[] in, Linear l, int from, int to) {
        int n = l.in();
        for (int o = from; o < to; o++) {
            int row = l.weight() + o * n;
            // Four partial sums: independent additions the processor can overlap.
            double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int i = 0;
            for (; i + 3 < n; i += 4) {
                s0 += w[row + i] * in[i];
                s1 += w[row + i + 1] * in[i + 1];
                s2 += w[row + i + 2] * in[i + 2];
                s3 += w[row + i + 3] * in[i + 3];
            }
            for (; i < n; i++) {
                s0 += w[row + i] * in[i];
            }
            double sum = (s0 + s1) + (s2 + s3);
            out[at + o] = (float) (l.bias() >= 0 ? sum + w[l.bias() + o] : sum);
        }
    }

    /** Room for {@code positions} positions, keeping the cached ones. */
    private void grow(int positions) {
        for (int l = 0; l < keys.length; l++) {
            keys[l] = keys[l] == null ? new float[positions * kvDim] : Arrays.copyOf(keys[l], positions * kvDim);
            values[l] = values[l] == null ? new float[positions * kvDim]
                    : Arrays.copyOf(values[l], positions * kvDim);
        }
        scores = new double[positions];
        capacity = positions;
    }
}
