package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.engine.cpu.CpuEngine;
import org.likra.model.ParameterLayout;
import org.likra.model.ParameterSpec;
import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.io.IOException;
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

/** F32, F16 and BF16 weights, sharded checkpoints with model.safetensors.index.json, and bad index files. */
class WeightFormatsTest {
    private static final int[] TOKENS = {3, 9, 27, 1, 0, 79, 44, 12, 60, 2, 5, 8, 13, 21};

    static List<SafeTensors.Output> outputs(ParameterLayout layout, float[] values) {
        List<SafeTensors.Output> out = new ArrayList<>();
        for (ParameterSpec spec : layout.specs()) {
            out.add(new SafeTensors.Output(spec.name(), spec.shape(), values, spec.offset()));
        }
        return out;
    }

    /** A copy of {@code source}'s config with the given weights. */
    static Path copy(Path source, Path dir, float[] values, String dtype, long maxShardBytes) throws IOException {
        Files.createDirectories(dir);
        Files.copy(source.resolve("config.json"), dir.resolve("config.json"));
        ParameterLayout layout = new ParameterLayout(ModelDirectory.readConfig(source).model());
        WeightFiles.write(dir, outputs(layout, values), Map.of("format", "pt"), dtype, maxShardBytes);
        return dir;
    }

    static float[] parameters(Path dir) {
        try (CpuEngine engine = new CpuEngine(1)) {
            Transformer m = ModelDirectory.load(dir, engine).model();
            float[] values = new float[m.layout().total()];
            engine.download(m.parameters(), values, 0);
            return values;
        }
    }

    @Test
    void bf16F16AndShardedCopiesGiveTheF32LossWithinTheirRounding(@TempDir Path tmp) throws IOException {
        Path f32 = PlainHfModels.write(tmp.resolve("f32"), PlainHfModels.llamaConfig(80, ""), 11);
        float[] values = ModelDirectory.readRaw(f32).values();
        double loss = PlainHfConfigTest.loss(f32, TOKENS);

        float[] bf16Values = values.clone();
        float[] f16Values = values.clone();
        for (int i = 0; i < values.length; i++) {
            bf16Values[i] = SafeTensors.roundToBfloat16(values[i]);
            f16Values[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        }
        Path bf16 = copy(f32, tmp.resolve("bf16"), values, "BF16", Long.MAX_VALUE);
        Path f16 = copy(f32, tmp.resolve("f16"), values, "F16", Long.MAX_VALUE);
        Path bf16Rounded = copy(f32, tmp.resolve("bf16-as-f32"), bf16Values, "F32", Long.MAX_VALUE);
        Path f16Rounded = copy(f32, tmp.resolve("f16-as-f32"), f16Values, "F32", Long.MAX_VALUE);
        Path sharded = copy(f32, tmp.resolve("sharded"), values, "F32", 12_000);
        Path shardedBf16 = copy(f32, tmp.resolve("sharded-bf16"), values, "BF16", 6_000);

        assertTrue(Files.isRegularFile(sharded.resolve(WeightFiles.INDEX)));
        try (var files = Files.list(sharded)) {
            assertTrue(files.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors"))
                    .count() > 2, "the small shard size splits the weights into several files");
        }
        assertEquals(false, Files.exists(sharded.resolve(WeightFiles.SINGLE)));

        // the files hold the rounded values exactly
        assertArrayEquals(bf16Values, parameters(bf16));
        assertArrayEquals(f16Values, parameters(f16));
        assertArrayEquals(values, parameters(sharded));
        assertArrayEquals(bf16Values, parameters(shardedBf16));

        double bf16Loss = PlainHfConfigTest.loss(bf16, TOKENS);
        assertEquals(PlainHfConfigTest.loss(bf16Rounded, TOKENS), bf16Loss);
        assertEquals(PlainHfConfigTest.loss(f16Rounded, TOKENS), PlainHfConfigTest.loss(f16, TOKENS));
        assertEquals(loss, PlainHfConfigTest.loss(sharded, TOKENS));
        assertEquals(bf16Loss, PlainHfConfigTest.loss(shardedBf16, TOKENS));
        // BF16 keeps 8 significant bits (relative rounding error up to 2^-9): the loss moves, but by little
        assertNotEquals(loss, bf16Loss);
        assertEquals(loss, bf16Loss, 0.01 * loss);

        PlainHfConfigTest.Result r = PlainHfConfigTest.likra("info", shardedBf16.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(WeightFiles.INDEX) && r.out().contains("BF16"), r.out());
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals(1.0f, SafeTensors.roundToBfloat16(1.0f));
        float ulp = Math.ulp(1.0f) * (1 << 16); // 2^-7, the spacing of bfloat16 near 1
        assertEquals(1.0f, SafeTensors.roundToBfloat16(1.0f + ulp / 2), "a tie goes to the even neighbour 1");
        assertEquals(1.0f + 2 * ulp, SafeTensors.roundToBfloat16(1.0f + 1.5f * ulp), "a tie goes to even 1+2u");
        assertEquals(1.0f + ulp, SafeTensors.roundToBfloat16(1.0f + 0.75f * ulp));
        assertEquals(-2.0f, SafeTensors.roundToBfloat16(-2.0f));
        assertTrue(Float.isNaN(SafeTensors.roundToBfloat16(Float.NaN)));
        assertEquals(Float.POSITIVE_INFINITY, SafeTensors.roundToBfloat16(Float.MAX_VALUE));
    }

    @Test
    void badIndexFilesGetOneLine(@TempDir Path tmp) throws IOException {
        Path f32 = PlainHfModels.write(tmp.resolve("f32"), PlainHfModels.llamaConfig(80, ""), 12);
        float[] values = ModelDirectory.readRaw(f32).values();
        Path dir = copy(f32, tmp.resolve("sharded"), values, "F32", 12_000);
        Path index = dir.resolve(WeightFiles.INDEX);
        String valid = Files.readString(index);
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{", "not valid JSON");
        cases.put("[]", "not a JSON object");
        cases.put("{\"metadata\": {}}", "weight_map");
        cases.put("{\"weight_map\": {}}", "weight_map");
        cases.put(valid.replaceFirst("model-00001-of-\\d{5}", "model-00009-of-00009"), "shard is missing");
        cases.put(valid.replaceFirst("model-00001-of-\\d{5}.safetensors", "../f32/model.safetensors"),
                "same directory");
        cases.put(valid.replaceFirst("\"model-00002-of-\\d{5}.safetensors\"", "\"" + firstShardName(valid) + "\""),
                "has no such tensor");
        var withoutNorm = (com.fasterxml.jackson.databind.node.ObjectNode) HfConfig.JSON.readTree(valid);
        ((com.fasterxml.jackson.databind.node.ObjectNode) withoutNorm.get("weight_map")).remove("model.norm.weight");
        cases.put(withoutNorm.toString(), "missing tensor model.norm.weight");
        cases.put(valid.replace("\"model.norm.weight\"", "\"model.norm.weight\" : 7, \"x\""), "weight_map");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertNotEquals(valid, c.getKey(), c.getValue());
            Files.writeString(index, c.getKey());
            UserError e = assertThrows(UserError.class, () -> ModelDirectory.load(dir, new CpuEngine(1)),
                    c.getKey());
            assertTrue(e.getMessage().contains(WeightFiles.INDEX) && e.getMessage().contains(c.getValue()),
                    c.getValue() + ": " + e.getMessage());
            assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        }
    }

    private static String firstShardName(String index) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("model-00001-of-\\d{5}\\.safetensors")
                .matcher(index);
        assertTrue(m.find(), index);
        return m.group();
    }
}
