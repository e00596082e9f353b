package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.Precision;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.ParameterLayout;
import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Model directories loaded with their parameters held in BF16 or F16 (--base-precision). */
class HalfBaseLoadTest {
    private static final int[] TOKENS = {3, 9, 27, 1, 0, 79, 44, 12, 60, 2, 5, 8, 13, 21, 34, 55, 70, 71};

    private static double loss(Transformer m) {
        int t = TOKENS.length - 1;
        m.setInputs(java.util.Arrays.copyOf(TOKENS, t), java.util.Arrays.copyOfRange(TOKENS, 1, t + 1), null, 1, t);
        m.forward();
        return m.loss();
    }

    private static float[] parameters(Transformer m) {
        float[] values = new float[m.layout().total()];
        m.engine().download(m.parameters(), values, 0);
        return values;
    }

    @Test
    void anF32CheckpointLoadedAsBf16IsItsRoundedCopyAndABf16OneKeepsEveryBit(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("f32"), PlainHfModels.llamaConfig(80, ""), 4);
        try (CpuEngine e = new CpuEngine(1)) {
            Transformer full = ModelDirectory.load(dir, e).model();
            double unrounded = loss(full);
            float[] rounded = parameters(full);
            for (int i = 0; i < rounded.length; i++) {
                rounded[i] = Precision.BF16.round(rounded[i]);
            }
            e.upload(full.parameters(), rounded, 0);
            Transformer half = ModelDirectory.load(dir, e, Precision.BF16).model();
            assertEquals(Precision.BF16, half.parameterFormat());
            assertArrayEquals(rounded, parameters(half));
            assertEquals(loss(full), loss(half), 0.0);
            assertNotEquals(unrounded, loss(half));

            // the same weights written as BF16: loaded as bf16 or as f32, the same values
            Path bf16 = Files.createDirectories(tmp.resolve("bf16"));
            Files.copy(dir.resolve(ModelDirectory.CONFIG), bf16.resolve(ModelDirectory.CONFIG));
            List<SafeTensors.Output> outputs = new ArrayList<>();
            for (var spec : full.layout().specs()) {
                outputs.add(new SafeTensors.Output(spec.name(), spec.shape(), rounded, spec.offset()));
            }
            WeightFiles.write(bf16, outputs, Map.of("format", "pt"), "BF16", Long.MAX_VALUE);
            assertArrayEquals(rounded, parameters(ModelDirectory.load(bf16, e, Precision.BF16).model()));
            assertArrayEquals(rounded, parameters(ModelDirectory.load(bf16, e).model()));
        }
    }

    @Test
    void aValueBeyondF16sRangeIsRefusedWhenLoadingAsF16(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("m"), PlainHfModels.llamaConfig(80, ""), 4);
        ParameterLayout layout = new ParameterLayout(ModelDirectory.readConfig(dir).model());
        float[] values = ModelDirectory.readRaw(dir).values();
        int at = layout.get("model.layers.1.mlp.up_proj.weight").offset() + 7;
        values[at] = 70000f;
        ModelDirectory.writeWeights(dir.resolve(ModelDirectory.WEIGHTS), layout, values, Map.of());
        try (CpuEngine e = new CpuEngine(1)) {
            UserError refused = assertThrows(UserError.class, () -> ModelDirectory.load(dir, e, Precision.F16));
            assertTrue(refused.getMessage().contains("model.layers.1.mlp.up_proj.weight")
                    && refused.getMessage().contains("element 7")
                    && refused.getMessage().contains("--base-precision bf16"), refused.getMessage());
            assertEquals(70144f, parameters(ModelDirectory.load(dir, e, Precision.BF16).model())[at]);
        }
    }

    @Test
    void theCommandsTakeBasePrecision(@TempDir Path tmp) throws IOException {
        Path dir = PlainHfModels.write(tmp.resolve("llama"), PlainHfModels.llamaConfig(30, ""), 6);
        try (var in = HalfBaseLoadTest.class.getResourceAsStream("/tokenizers/sentencepiece-legacy.json")) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        Path data = Files.writeString(tmp.resolve("q.jsonl"),
                "{\"id\": \"a\", \"question\": \"hello?\", \"choices\": [\"café\", \"hello\"], \"answer\": 0}\n");
        var r = PlainHfConfigTest.likra("eval", "--model", dir.toString(), "--data", data.toString(), "--scorer",
                "base", "--base-precision", "bf16");
        assertEquals(0, r.code(), r.err());
        r = PlainHfConfigTest.likra("eval", "--model", dir.toString(), "--data", data.toString(), "--scorer",
                "base", "--base-precision", "f8");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("f32, bf16, f16"), r.err());

        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            r = PlainHfConfigTest.likra("bench", "--model", dir.toString(), "--lora", "2", "--base-precision", "f16",
                    "--batch", "1", "--seq", "8", "--warmup", "0", "--warmup-seconds", "0", "--steps", "1",
                    "--threads", "1");
        } finally {
            System.setOut(stdout);
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("frozen in f16"), printed.toString());
        r = PlainHfConfigTest.likra("bench", "--model", dir.toString(), "--base-precision", "bf16", "--steps", "1");
        assertEquals(1, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("--lora"), r.err());
    }
}
