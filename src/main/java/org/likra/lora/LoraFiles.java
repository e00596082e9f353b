package org.likra.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.likra.io.AtomicFiles;
import org.likra.io.SafeTensors;
import org.likra.model.NonFinite;
import org.likra.model.Transformer;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Adapters on disk in PEFT's layout: {@code adapter_config.json} and {@code adapter_model.safetensors} with
 * tensor names {@code base_model.model.<module>.lora_A.weight} [r, in] and {@code ...lora_B.weight} [out, r].
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
        config.put("lora_dropout", 0.0);
        config.put("bias", "none");
        config.put("fan_in_fan_out", false);
        var targets = config.putArray("target_modules");
        adapter.config().targets().forEach(targets::add);
        config.put("base_model_name_or_path", baseModel);
        AtomicFiles.writeString(dir.resolve(CONFIG), JSON.writeValueAsString(config) + "\n");
    }

    /** Reads an adapter's config. */
    public static LoraConfig readConfig(Path dir) {
        Path file = dir.resolve(CONFIG);
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UserError(file + ": cannot read the adapter config: " + e.getMessage().lines().findFirst()
                    .orElse(""));
        }
        if (root == null || !root.has("r") || !root.has("target_modules")) {
            throw new UserError(file + ": not a PEFT LoRA config (needs r and target_modules)");
        }
        JsonNode r = root.get("r");
        JsonNode alpha = root.path("lora_alpha");
        if (!r.canConvertToInt() || !r.isIntegralNumber()) {
            throw new UserError(file + ": r must be a whole number (the LoRA rank), got " + r);
        }
        if (!alpha.isMissingNode() && !alpha.isNumber()) {
            throw new UserError(file + ": lora_alpha must be a number, got " + alpha);
        }
        List<String> targets = new ArrayList<>();
        root.get("target_modules").forEach(t -> targets.add(t.asText()));
        try {
            return new LoraConfig(r.asInt(), alpha.asDouble(r.asInt()), targets);
        } catch (UserError e) {
            throw new UserError(file + ": " + e.getMessage(), e);
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
