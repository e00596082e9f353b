package org.likra.cli;

import org.likra.io.ModelDirectory;
import org.likra.io.Tokenizers;
import org.likra.tokenize.Tokenizer;
import org.likra.tokenize.hf.HfTokenizer;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code likra tokenize --model DIR TEXT}: the token ids of a text under a model's tokenizer, or the reverse. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Print the token ids of TEXT (space-separated, no BOS unless --bos) under the tokenizer of a "
                + "model directory (or of a tokenizer.json file); with --decode, read ids and print their text.",
                "Only config.json and the tokenizer's file are read; the weights are not needed."})
public final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory (or run directory), or a tokenizer.json file.")
    Path model;

    @Option(names = "--decode", description = "Read token ids (separated by spaces or commas) and print their text.")
    boolean decode;

    @Option(names = "--bos", description = "Put the tokenizer's BOS id first (when it has one).")
    boolean bos;

    @Parameters(paramLabel = "TEXT", arity = "1..*",
            description = "The text (several arguments are joined with spaces), or with --decode the ids.")
    List<String> text;

    @Override
    public Integer call() {
        Tokenizer tokenizer = tokenizer(model);
        PrintWriter out = spec.commandLine().getOut();
        String joined = String.join(" ", text);
        if (decode) {
            out.println(tokenizer.decode(ids(joined)));
        } else {
            int[] ids = tokenizer.encode(joined);
            StringBuilder sb = new StringBuilder();
            if (bos && tokenizer.bos() >= 0) {
                sb.append(tokenizer.bos());
            }
            for (int id : ids) {
                sb.append(sb.isEmpty() ? "" : " ").append(id);
            }
            out.println(sb);
        }
        out.flush();
        return 0;
    }

    static Tokenizer tokenizer(Path path) {
        if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".json")) {
            return HfTokenizer.read(path);
        }
        Path dir = ModelDirectory.resolve(path);
        return Tokenizers.load(ModelDirectory.readConfig(dir).tokenizer(), dir);
    }

    private static int[] ids(String text) {
        String[] parts = text.trim().split("[\\s,]+");
        if (parts.length == 1 && parts[0].isEmpty()) {
            return new int[0];
        }
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new UserError("--decode reads token ids; '" + parts[i] + "' (item " + (i + 1) + ") is not an "
                        + "integer");
            }
            if (ids[i] < 0) {
                throw new UserError("--decode reads token ids; " + ids[i] + " (item " + (i + 1) + ") is negative");
            }
        }
        return ids;
    }
}
