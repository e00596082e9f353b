package org.likra.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.likra.util.UserError;

/**
 * Llama 3's rescaling of the RoPE frequencies ({@code rope_scaling} with {@code rope_type: llama3} in a Hugging Face
 * config), as Hugging Face's {@code _compute_llama3_parameters} computes it. For pair i of a head of size d the plain
 * inverse frequency is f = theta^(-2i/d) and its wavelength w = 2 pi / f; with L the original context:
 * <pre>
 *   w &lt; L / highFreqFactor:  f                                  (high frequencies stay)
 *   w &gt; L / lowFreqFactor:   f / factor                         (low frequencies slow down)
 *   otherwise:               (1 - s) f / factor + s f,   s = (L / w - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
 * </pre>
 *
 * @param factor          how much slower the low frequencies turn (8 for Llama 3.1, 32 for Llama 3.2)
 * @param lowFreqFactor   L / lowFreqFactor is the longest wavelength that is still interpolated
 * @param highFreqFactor  L / highFreqFactor is the shortest wavelength that is interpolated
 * @param originalContext L, the context the model was first trained with ({@code original_max_position_embeddings})
 */
public record RopeScaling(
        @JsonProperty("factor") double factor,
        @JsonProperty("low_freq_factor") double lowFreqFactor,
        @JsonProperty("high_freq_factor") double highFreqFactor,
        @JsonProperty("original_max_position_embeddings") int originalContext) {

    /** The rescaled inverse frequency of one pair whose plain inverse frequency is {@code inverseFrequency}. */
    public double apply(double inverseFrequency) {
        double wavelength = 2 * Math.PI / inverseFrequency;
        double lowFreqWavelength = originalContext / lowFreqFactor;
        double highFreqWavelength = originalContext / highFreqFactor;
        if (wavelength < highFreqWavelength) {
            return inverseFrequency;
        }
        if (wavelength > lowFreqWavelength) {
            return inverseFrequency / factor;
        }
        double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * inverseFrequency / factor + smooth * inverseFrequency;
    }

    /** Checks the fields; {@code where} names the file in the message. */
    public RopeScaling validate(String where) {
        if (!(factor >= 1) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
            throw new UserError(where + ": rope_scaling needs factor >= 1, 0 < low_freq_factor < high_freq_factor "
                    + "and original_max_position_embeddings > 0; got factor " + factor + ", low_freq_factor "
                    + lowFreqFactor + ", high_freq_factor " + highFreqFactor + ", original_max_position_embeddings "
                    + originalContext);
        }
        return this;
    }
}
