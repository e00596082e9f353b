package org.likra.cli;

import org.likra.io.Exporter;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code likra export hf RUN --out DIR}: a model as a plain Hugging Face Llama directory. */
@Command(name = "hf", mixinStandardHelpOptions = true,
        description = {"Write a Llama-architecture model (ours or imported) as a plain Hugging Face directory: "
                + "config.json (LlamaForCausalLM, or Qwen2ForCausalLM for q/k/v biases), model.safetensors (shards "
                + "of at most 5 GB beyond that) and tokenizer.json when the tokenizer has that form (byte-level BPE, "
                + "byte, llama2.c, or a tokenizer.json read in).",
                "transformers' AutoModelForCausalLM.from_pretrained(DIR) and AutoTokenizer.from_pretrained(DIR) "
                        + "load it; likra reads it back as the same model."})
public final class ExportHfCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "the model (or run) directory")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the directory to write")
    Path out;

    @Option(names = "--dtype", defaultValue = "f32", description = "f32, bf16 or f16. Default: ${DEFAULT-VALUE}.")
    String dtype;

    @Override
    public Integer call() throws Exception {
        String d = dtype.toUpperCase(Locale.ROOT);
        if (!d.equals("F32") && !d.equals("BF16") && !d.equals("F16")) {
            throw new UserError("--dtype must be f32, bf16 or f16, got " + dtype);
        }
        Exporter.HfExport result = Exporter.hf(model, out, d);
        var w = spec.commandLine().getOut();
        w.println("wrote " + out + " (config.json, weights in " + d + (result.tokenizerWritten()
                ? ", tokenizer.json)" : "; no tokenizer.json: the model's " + result.tokenizerType()
                + " tokenizer has no tokenizer.json form here)"));
        w.flush();
        return 0;
    }
}
