package org.likra.io;

import org.likra.config.ModelConfig;
import org.likra.model.ParameterLayout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Plain Hugging Face model directories for tests: a config.json as transformers writes it, random F32 weights. */
final class PlainHfModels {
    private PlainHfModels() {
    }

    /** A Llama config.json (no likra section) of the given size; {@code extra} is spliced in before the last field. */
    static String llamaConfig(int vocab, String extra) {
        return """
                {
                  "architectures": ["LlamaForCausalLM"],
                  "model_type": "llama",
                  "hidden_size": 32,
                  "intermediate_size": 48,
                  "num_hidden_layers": 2,
                  "num_attention_heads": 4,
                  "num_key_value_heads": 2,
                  "vocab_size": %d,
                  "max_position_embeddings": 64,
                  "rms_norm_eps": 1e-06,
                  "rope_theta": 10000.0,
                  "hidden_act": "silu",
                  "bos_token_id": 1,
                  "eos_token_id": 2,
                  "torch_dtype": "bfloat16",
                  %s
                  "transformers_version": "4.46.0"
                }
                """.formatted(vocab, extra.isEmpty() ? "" : extra + ",");
    }

    /** Writes {@code configJson} and random weights of the layout it describes into {@code dir}. */
    static Path write(Path dir, String configJson, long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(ModelDirectory.CONFIG), configJson);
        ModelConfig config = ModelDirectory.readConfig(dir).model();
        ParameterLayout layout = new ParameterLayout(config);
        ModelDirectory.writeWeights(dir.resolve(ModelDirectory.WEIGHTS), layout, randomValues(layout, seed),
                Map.of("format", "pt"));
        return dir;
    }

    /** Values of N(0, 0.1) everywhere, norms near 1, so that every tensor (biases too) changes the output. */
    static float[] randomValues(ParameterLayout layout, long seed) {
        Random r = new Random(seed);
        float[] values = new float[layout.total()];
        for (var spec : layout.specs()) {
            boolean norm = spec.name().contains("norm");
            for (int i = 0; i < spec.size(); i++) {
                values[spec.offset() + i] = (float) ((norm ? 1 : 0) + r.nextGaussian() * 0.1);
            }
        }
        return values;
    }
}
