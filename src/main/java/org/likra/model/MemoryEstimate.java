package org.likra.model;

import org.likra.config.ModelConfig;
import org.likra.engine.Precision;

import java.util.Locale;
import java.util.function.Predicate;

/**
 * The memory a training step of a model holds in the cpu engine's tensors, in elements, by part (and what the tornado
 * engine holds instead of the attention probabilities): the parameters
 * (4 bytes each in float32, 2 for a frozen base held in BF16 or F16); for pretraining, their gradients and AdamW's
 * two moments; for a LoRA step, the adapters' parameters, gradients and moments and their saved activations instead
 * (a frozen base gets no gradient buffer and no optimizer state); and the activations and scratch of a batch
 * ({@link Activations}). Everything but a 16-bit base's parameters is float32, 4 bytes an element.
 *
 * @param parameters  the model's parameters, stored in parameterFormat
 * @param gradients   the base gradient buffer (pretraining) or 0 (LoRA)
 * @param optimizer   AdamW's moments: 2 per trained parameter
 * @param adapters    the adapters' parameters and gradients, and their per-row scratch (LoRA), else 0
 * @param activations what the forward pass saves and the backward pass uses, for batch x seq tokens
 * @param logits      of which the logits and output probabilities, (N, V) twice
 * @param attention   of which the attention probabilities, (batch, H, T, T) per layer
 * @param attentionRecomputed what the tornado engine keeps instead of {@code attention}: each row's log-sum-exp per
 *                    layer, (batch, H, T), and one (batch, H, T) scratch of its backward pass
 * @param parameterFormat F32, or BF16/F16 for a frozen base (LoRA only)
 */
public record MemoryEstimate(long parameters, long gradients, long optimizer, long adapters, long activations,
                             long logits, long attention, long attentionRecomputed, Precision parameterFormat) {

    /** Pretraining: every parameter trained. */
    public static MemoryEstimate pretraining(ModelConfig c, int batch, int seq) {
        long p = new ParameterLayout(c).total();
        long acts = Activations.elements(c, batch, seq);
        return new MemoryEstimate(p, p, 2 * p, 0, acts, 2L * batch * seq * c.vocab(), attention(c, batch, seq),
                attentionRecomputed(c, batch, seq), Precision.F32);
    }

    /**
     * A LoRA step on a frozen float32 base: only the adapters are trained, rank {@code rank} on every linear layer of
     * the blocks that {@code adapts} accepts by module name ({@code LoraConfig::targets}).
     */
    public static MemoryEstimate lora(ModelConfig c, int rank, Predicate<String> adapts, int batch, int seq) {
        return lora(c, rank, adapts, batch, seq, Precision.F32);
    }

    /** The same LoRA step on a frozen base held in {@code baseFormat} (F32, BF16 or F16). */
    public static MemoryEstimate lora(ModelConfig c, int rank, Predicate<String> adapts, int batch, int seq,
                                      Precision baseFormat) {
        ParameterLayout layout = new ParameterLayout(c);
        long adapterParams = 0;
        long maxOut = 0;
        int sites = 0;
        for (ParameterSpec spec : layout.specs()) {
            if (spec.shape().length == 2 && spec.name().startsWith("model.layers.") && adapts.test(
                    spec.name().substring(0, spec.name().length() - ".weight".length()))) {
                int out = spec.shape()[0];
                int in = spec.shape()[1];
                adapterParams += (long) rank * (in + out);
                maxOut = Math.max(maxOut, Math.max(in, out));
                sites++;
            }
        }
        long n = (long) batch * seq;
        long scratch = sites * n * rank + n * maxOut + n * rank;
        long acts = Activations.elements(c, batch, seq);
        return new MemoryEstimate(layout.total(), 0, 2 * adapterParams, 2 * adapterParams + scratch, acts,
                2L * batch * seq * c.vocab(), attention(c, batch, seq), attentionRecomputed(c, batch, seq),
                baseFormat);
    }

    /** The attention probabilities the cpu and reference engines keep: (batch, H, T, T) per layer. */
    private static long attention(ModelConfig c, int batch, int seq) {
        return c.layers() * Activations.attentionProbabilities(c, batch, seq);
    }

    /** What the tornado engine keeps instead: (batch, H, T) per layer and one (batch, H, T) scratch. */
    private static long attentionRecomputed(ModelConfig c, int batch, int seq) {
        return (long) (c.layers() + 1) * batch * c.heads() * seq;
    }

    /** Elements of every part together. */
    public long total() {
        return parameters + gradients + optimizer + adapters + activations;
    }

    /** Bytes of the parameters: 4 an element in float32, 2 in BF16 or F16. */
    public long parameterBytes() {
        return parameters * (parameterFormat.is16Bit() ? 2 : 4);
    }

    /** Bytes of every part together: the parameters' {@link #parameterBytes}, 4 an element for the rest. */
    public long bytes() {
        return parameterBytes() + 4 * (total() - parameters);
    }

    /** One line per part, in GB. */
    public String format() {
        String stored = parameterFormat.name().toLowerCase(Locale.ROOT);
        return String.format(Locale.ROOT, "  parameters   %8.2f GB (%s)%n  gradients    %8.2f GB%n"
                        + "  AdamW state  %8.2f GB%n"
                        + "  adapters     %8.2f GB%n  activations  %8.2f GB (logits and probabilities %.2f GB, "
                        + "attention probabilities %.2f GB: the tornado engine keeps %.1f MB instead)%n"
                        + "  total        %8.2f GB of engine tensors (the JVM adds its own)%n",
                parameterBytes() / 1e9, stored, gb(gradients), gb(optimizer), gb(adapters), gb(activations),
                gb(logits), gb(attention), attentionRecomputed * 4 / 1e6, bytes() / 1e9);
    }

    /** GB of float32 elements. */
    private static double gb(long elements) {
        return elements * 4 / 1e9;
    }
}
