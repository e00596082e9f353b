package org.likra.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.likra.engine.FiniteDifferences.assertGradient;
import static org.likra.engine.FiniteDifferences.gradient;

/** PEFT adapters in full: any target_modules, lora_dropout, the config fields PEFT reads, and what is refused. */
class PeftFilesTest {
    private static final int[] TOKENS = {1, 5, 2, 7, 3, 0, 9, 4, 6, 10};
    private static final int[] TARGETS = {5, 2, 7, 3, 0, 9, 4, 6, 10, 1};

    private static Transformer model(Engine e) {
        Transformer m = new Transformer(LoraTest.llama(), e);
        Initializer.initialize(m, 3);
        return m;
    }

    /** An adapter_config.json as PEFT 0.13 writes it, with {@code extra} fields replacing its own. */
    static String peftConfig(String targets, String extra) {
        return """
                {
                  "alpha_pattern": {},
                  "auto_mapping": null,
                  "base_model_name_or_path": "meta-llama/Llama-3.2-1B",
                  "bias": "none",
                  "fan_in_fan_out": false,
                  "inference_mode": true,
                  "init_lora_weights": true,
                  "layer_replication": null,
                  "layers_pattern": null,
                  "layers_to_transform": null,
                  "loftq_config": {},
                  "lora_alpha": 16,
                  "lora_dropout": 0.05,
                  "megatron_config": null,
                  "megatron_core": "megatron.core",
                  "modules_to_save": null,
                  "peft_type": "LORA",
                  "r": 4,
                  "rank_pattern": {},
                  "revision": null,
                  "target_modules": %s,
                  "task_type": "CAUSAL_LM",
                  "use_dora": false,
                  "use_rslora": false%s
                }
                """.formatted(targets, extra.isEmpty() ? "" : ",\n  " + extra);
    }

    @Test
    void everyTargetSavesLoadsAndWritesTheFieldsPeftReads(@TempDir Path dir) throws IOException {
        Engine e = new ReferenceEngine(Precision.F32);
        Transformer m = model(e);
        LoraAdapter adapter = new LoraAdapter(m, new LoraConfig(4, 16, LoraConfig.ALL, 0.1));
        assertEquals(2 * 7, adapter.sites().size(), "all seven projections of both layers");
        adapter.initialize(2);
        float[] values = adapter.values();
        new Random(4).ints(values.length, 0, values.length).forEach(i -> values[i] = 0.125f);
        adapter.load(values);
        LoraFiles.save(dir, adapter, "base");
        LoraAdapter loaded = LoraFiles.load(dir, m);
        assertArrayEquals(values, loaded.values());
        assertEquals(adapter.config(), loaded.config());
        JsonNode json = new ObjectMapper().readTree(dir.resolve(LoraFiles.CONFIG).toFile());
        for (String field : new String[] {"peft_type", "task_type", "r", "lora_alpha", "lora_dropout",
                "target_modules", "bias", "fan_in_fan_out", "modules_to_save", "inference_mode",
                "init_lora_weights", "base_model_name_or_path"}) {
            assertTrue(json.has(field), field);
        }
        assertEquals(0.1, json.get("lora_dropout").asDouble());
        assertTrue(json.get("modules_to_save").isNull());
        try (var st = org.likra.io.SafeTensors.open(dir.resolve(LoraFiles.WEIGHTS))) {
            assertArrayEquals(new int[] {4, 4}, st.entries()
                    .get("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight").shape(),
                    "k_proj's B is [kv heads 2 * head size 2, r 4]");
        }
    }

    @Test
    void readsWhatPeftWritesWithListsAllLinearAndModulePaths(@TempDir Path dir) throws IOException {
        Transformer m = model(new ReferenceEngine(Precision.F32));
        Files.writeString(dir.resolve(LoraFiles.CONFIG), peftConfig("[\"v_proj\", \"q_proj\"]", ""));
        LoraConfig c = LoraFiles.readConfig(dir);
        assertEquals(new LoraConfig(4, 16, List.of("v_proj", "q_proj"), 0.05), c);
        assertEquals(4, new LoraAdapter(m, c).sites().size());

        Files.writeString(dir.resolve(LoraFiles.CONFIG), peftConfig("\"all-linear\"", ""));
        assertEquals(LoraConfig.ALL, LoraFiles.readConfig(dir).targets());

        Files.writeString(dir.resolve(LoraFiles.CONFIG),
                peftConfig("[\"self_attn.o_proj\", \"model.layers.1.mlp.down_proj\"]", ""));
        LoraAdapter partial = new LoraAdapter(m, LoraFiles.readConfig(dir));
        assertEquals(List.of("model.layers.0.self_attn.o_proj", "model.layers.1.self_attn.o_proj",
                "model.layers.1.mlp.down_proj"), List.copyOf(partial.sites().keySet()));
    }

    @Test
    void whatIsNotComputedHereIsRefusedWithOneLine(@TempDir Path dir) throws IOException {
        Map<String, String> cases = Map.of(
                peftConfig("[\"q_proj\"]", "\"modules_to_save\": [\"lm_head\"]").replace("\"modules_to_save\": null,",
                        ""), "modules_to_save",
                peftConfig("[\"q_proj\"]", "").replace("\"use_dora\": false", "\"use_dora\": true"), "use_dora",
                peftConfig("[\"q_proj\"]", "").replace("\"bias\": \"none\"", "\"bias\": \"all\""), "bias",
                peftConfig("\".*proj\"", ""), "target_modules",
                peftConfig("[\"lm_head\"]", ""), "lm_head",
                peftConfig("[\"q_proj\"]", "").replace("\"r\": 4", "\"r\": 4.5"), "r must be an integer",
                peftConfig("[\"q_proj\"]", "").replace("\"lora_dropout\": 0.05", "\"lora_dropout\": 1.5"), "dropout",
                peftConfig("[\"q_proj\"]", "").replace("\"peft_type\": \"LORA\"", "\"peft_type\": \"IA3\""),
                "peft_type",
                peftConfig("[\"q_proj\"]", "").replace("\"rank_pattern\": {}", "\"rank_pattern\": {\"q_proj\": 8}"),
                "rank_pattern");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(dir.resolve(LoraFiles.CONFIG), c.getKey());
            UserError e = assertThrows(UserError.class, () -> LoraFiles.readConfig(dir), c.getValue());
            assertTrue(e.getMessage().contains(LoraFiles.CONFIG) && e.getMessage().contains(c.getValue()),
                    c.getValue() + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    @Test
    void dropoutActsOnlyWhileTrainingAndItsGradientsMatchFiniteDifferences() {
        Engine e = new ReferenceEngine(Precision.F64);
        Transformer m = model(e);
        LoraAdapter adapter = new LoraAdapter(m, new LoraConfig(3, 6, List.of("q_proj", "o_proj", "up_proj",
                "down_proj"), 0.3));
        Random random = new Random(5);
        double[] values = new double[adapter.parameters().length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextGaussian() * 0.3;
        }
        e.upload(adapter.parameters(), values, 0);
        m.attach(adapter);
        float[] weights = {0.2f, 0, 0.2f, 0.2f, 0, 0.1f, 0.1f, 0.1f, 0.1f, 0};
        m.setInputs(TOKENS, TARGETS, weights, 2, 5);
        m.forward();
        double scoring = m.loss();
        adapter.training(true, 42);
        m.forward();
        double training = m.loss();
        assertNotEquals(scoring, training, "a dropout mask changes the adapters' input");
        adapter.training(false, 0);
        m.forward();
        assertEquals(scoring, m.loss(), "out of training mode the adapter sees its whole input");

        // the same seed draws the same masks, so the loss is a fixed function of the adapter's parameters
        adapter.training(true, 42);
        m.forward();
        m.backward();
        double[] analytic = new double[values.length];
        e.download(adapter.gradients(), analytic, 0);
        double[] numerical = gradient(values, x -> {
            adapter.training(true, 42);
            e.upload(adapter.parameters(), x, 0);
            m.forward();
            return m.loss();
        });
        assertGradient("LoRA with dropout", analytic, numerical);
    }
}
