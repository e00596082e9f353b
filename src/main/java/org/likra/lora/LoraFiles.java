package org.likra.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.io.SafeTensors;
import org.likra.model.NonFinite;
import org.likra.model.Transformer;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Adapters on disk in PEFT's layout: {@code adapter_config.json} and {@code adapter_model.safetensors} with
 * tensor names {@code base_model.model.<module>.lora_A.weight} [r, in] and {@code ...lora_B.weight} [out, r]
 * (what {@code PeftModel.from_pretrained} loads onto a Hugging Face Llama of the same base).
 */
public final class LoraFiles {
    public static final String CONFIG = "adapter_config.json";
    public static final String WEIGHTS = "adapter_model.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LoraFiles() {
    }

    static String tensorName(String module, String which) {
        return "base_model.model." + module + ".lora_" + which + ".weight";
    }

    public static void save(Path dir, LoraAdapter adapter, String baseModel) throws IOException {
        Files.createDirectories(dir);
        float[] values = adapter.values();
        int r = adapter.config().rank();
        List<SafeTensors.Output> outputs = new ArrayList<>();
        for (LoraAdapter.Site s : adapter.sites().values()) {
            outputs.add(new SafeTensors.Output(tensorName(s.module, "A"), new int[] {r, s.inDim}, values, s.aOffset));
            outputs.add(new SafeTensors.Output(tensorName(s.module, "B"), new int[] {s.outDim, r}, values,
                    s.bOffset));
        }
        SafeTensors.write(dir.resolve(WEIGHTS), outputs, Map.of("format", "pt"));
        ObjectNode config = JSON.createObjectNode();
        config.put("peft_type", "LORA");
        config.put("task_type", "CAUSAL_LM");
        config.put("r", r);
        config.put("lora_alpha", adapter.config().alpha());
        config.put("lora_dropout", adapter.config().dropout());
        config.put("bias", "none");
        config.put("fan_in_fan_out", false);
        var targets = config.putArray("target_modules");
        adapter.config().targets().forEach(targets::add);
        config.putNull("modules_to_save");
        config.putNull("layers_to_transform");
        config.putNull("layers_pattern");
        config.put("inference_mode", true);
        config.put("init_lora_weights", true);
        config.put("base_model_name_or_path", baseModel);
        config.putNull("revision");
        AtomicFiles.writeString(dir.resolve(CONFIG), JSON.writeValueAsString(config) + "\n");
    }

    /**
     * Reads an adapter's config as PEFT writes it: r, lora_alpha (default r), lora_dropout (default 0) and
     * target_modules (a list, or "all-linear"). What this project does not compute is refused with one line:
     * another peft_type, modules_to_save (fully trained copies of modules), bias other than "none",
     * fan_in_fan_out, use_dora, use_rslora, layers_to_transform, rank_pattern and alpha_pattern, and a
     * target_modules regex.
     */
    public static LoraConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the adapter config: " + e.getMessage().lines().findFirst()
                    .orElse(""));
        }
        if (root == null || !root.isObject() || !root.has("r") || !root.has("target_modules")) {
            throw new UserError(file + ": not a PEFT LoRA config (needs r and target_modules)");
        }
        String peftType = root.path("peft_type").asText("LORA");
        if (!peftType.equals("LORA")) {
            throw new UserError(file + ": peft_type is " + peftType + "; only LORA adapters are read");
        }
        JsonNode save = root.get("modules_to_save");
        if (save != null && !save.isNull() && !(save.isArray() && save.isEmpty())) {
            throw new UserError(file + ": modules_to_save is " + save + "; adapters that train full copies of "
                    + "modules are not supported (only LoRA's A and B matrices are)");
        }
        refuseIf(root.has("bias") && !root.get("bias").asText("").equals("none"), file, "bias",
                root.get("bias"), "only \"none\" (no trained biases) is supported");
        refuseIf(root.path("fan_in_fan_out").asBoolean(false), file, "fan_in_fan_out", root.get("fan_in_fan_out"),
                "only false (weights stored [out, in]) is supported");
        refuseIf(root.path("use_dora").asBoolean(false), file, "use_dora", root.get("use_dora"),
                "DoRA adapters are not supported");
        refuseIf(root.path("use_rslora").asBoolean(false), file, "use_rslora", root.get("use_rslora"),
                "only the scale lora_alpha / r is supported");
        for (String field : new String[] {"layers_to_transform", "rank_pattern", "alpha_pattern"}) {
            JsonNode v = root.get(field);
            refuseIf(v != null && !v.isNull() && !(v.isContainerNode() && v.isEmpty()), file, field, v,
                    "adapters with per-layer choices are not supported");
        }
        JsonNode r = root.get("r");
        JsonNode alpha = root.path("lora_alpha");
        if (!r.isIntegralNumber() || !r.canConvertToInt()) {
            throw new UserError(file + ": r must be an integer (the LoRA rank), got " + r);
        }
        if (!alpha.isMissingNode() && !alpha.isNumber()) {
            throw new UserError(file + ": lora_alpha must be a number, got " + alpha);
        }
        JsonNode targetsNode = root.get("target_modules");
        List<String> targets = new ArrayList<>();
        if (targetsNode.isTextual() && targetsNode.asText().equals("all-linear")) {
            targets.addAll(LoraConfig.ALL);
        } else if (targetsNode.isArray()) {
            targetsNode.forEach(t -> targets.add(t.asText()));
        } else {
            throw new UserError(file + ": target_modules is " + targetsNode + "; give a list of module names (or "
                    + "\"all-linear\"); a regex is not supported");
        }
        JsonNode dropout = root.get("lora_dropout");
        try {
            return new LoraConfig(r.asInt(), alpha.asDouble(r.asInt()), targets,
                    dropout == null || dropout.isNull() ? 0 : dropout.asDouble());
        } catch (UserError e) {
            throw new UserError(file + ": " + e.getMessage(), e);
        }
    }

    private static void refuseIf(boolean bad, Path file, String field, JsonNode value, String why) {
        if (bad) {
            throw new UserError(file + ": " + field + " is " + value + "; " + why);
        }
    }

    /**
     * Loads an adapter saved by {@link #save} for {@code model}; a UserError naming a tensor with NaN or infinity, or
     * naming the config file when it does not fit the model.
     */
    public static LoraAdapter load(Path dir, Transformer model) {
        LoraConfig config = readConfig(dir);
        try {
            LoraAdapter.checkFits(model, config);
        } catch (UserError e) {
            throw new UserError(dir.resolve(CONFIG) + ": " + e.getMessage(), e);
        }
        LoraAdapter adapter = new LoraAdapter(model, config);
        float[] values = new float[adapter.parameters().length()];
        int r = adapter.config().rank();
        try (SafeTensors st = SafeTensors.open(dir.resolve(WEIGHTS))) {
            for (LoraAdapter.Site s : adapter.sites().values()) {
                st.readInto(tensorName(s.module, "A"), new int[] {r, s.inDim}, values, s.aOffset);
                st.readInto(tensorName(s.module, "B"), new int[] {s.outDim, r}, values, s.bOffset);
                NonFinite bad = NonFinite.find(tensorName(s.module, "A"), values, s.aOffset, r * s.inDim);
                bad = bad != null ? bad : NonFinite.find(tensorName(s.module, "B"), values, s.bOffset, s.outDim * r);
                if (bad != null) {
                    throw new UserError(dir.resolve(WEIGHTS) + ": " + bad.describe() + "; the head is broken (its "
                            + "training diverged?): train it again with a lower --lr");
                }
            }
        }
        adapter.load(values);
        return adapter;
    }
}
