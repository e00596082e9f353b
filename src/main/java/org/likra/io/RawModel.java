package org.likra.io;

import org.likra.config.ModelConfig;
import org.likra.model.ParameterLayout;
import org.likra.tokenize.TokenizerSpec;

import java.util.Map;

/**
 * A model's architecture and all its parameters as one float array in {@link ParameterLayout} order, not yet on
 * an engine: what the checkpoint importers produce and the exporters consume.
 *
 * @param config    the architecture
 * @param tokenizer the tokenizer the model directory records (may be null where the source says nothing)
 * @param values    every parameter, {@code new ParameterLayout(config).total()} floats
 * @param metadata  string facts about the source that our config cannot hold (kept in the safetensors
 *                  {@code __metadata__}, so that an export can reproduce the original file)
 */
public record RawModel(ModelConfig config, TokenizerSpec tokenizer, float[] values, Map<String, String> metadata) {

    public ParameterLayout layout() {
        return new ParameterLayout(config);
    }

    public RawModel withTokenizer(TokenizerSpec spec) {
        return new RawModel(config, spec, values, metadata);
    }
}
