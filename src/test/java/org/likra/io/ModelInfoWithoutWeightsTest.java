package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.io.PlainHfConfigTest.Result;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.likra.io.PlainHfConfigTest.likra;

/** {@code likra info} on an architecture without weights: a preset's name, a preset file, a config.json file. */
class ModelInfoWithoutWeightsTest {
    @Test
    void aPresetNameGivesItsArchitectureAndTheMemoryOfAStep() {
        Result r = likra("info", "llama-110m", "--batch", "4", "--seq", "1024");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model preset llama-110m") && r.out().contains("dim 768, layers 12, heads 12"),
                r.out());
        // 12 layers x 4 x 12 heads x 1024^2 floats = 2.42 GB of probabilities; the tornado engine keeps
        // (12 + 1) x 4 x 12 x 1024 floats = 2.6 MB
        assertTrue(r.out().contains("attention probabilities 2.42 GB: the tornado engine keeps 2.6 MB instead"),
                r.out());
    }

    @Test
    void aPresetFileAndAConfigFileAreReadAsArchitectures(@TempDir Path tmp) throws IOException {
        Path preset = Files.writeString(tmp.resolve("small.json"), "{\"name\": \"small\", \"dim\": 32, "
                + "\"layers\": 2, \"heads\": 4, \"kv_heads\": 2, \"hidden\": 64, \"vocab\": 96, \"context\": 64, "
                + "\"norm\": \"rmsnorm\", \"mlp\": \"swiglu\", \"positions\": \"rope\", \"bias\": false, "
                + "\"tied_embeddings\": true, \"rope_theta\": 10000.0, \"norm_eps\": 1e-5}");
        Result r = likra("info", preset.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("model preset small.json") && r.out().contains("vocab 96"), r.out());
        assertTrue(r.out().contains("model.layers.1.mlp.down_proj.weight"), r.out());

        Path config = Files.writeString(tmp.resolve("config.json"), PlainHfModels.llamaConfig(80, ""));
        r = likra("info", config.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Hugging Face config config.json") && r.out().contains("vocab 80"), r.out());
    }

    @Test
    void aNameThatIsNeitherAFileNorAPresetGetsOneLine() {
        Result r = likra("info", "no-such-model-or-preset");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no-such-model-or-preset: no such file, directory or preset")
                && r.err().contains("preset name from models/"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
