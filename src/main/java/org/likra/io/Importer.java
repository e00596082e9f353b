package org.likra.io;

import org.likra.tokenize.ByteTokenizer;
import org.likra.tokenize.Gpt2Tokenizer;
import org.likra.tokenize.Llama2cTokenizer;
import org.likra.tokenize.TokenizerSpec;
import org.likra.util.AtomicFiles;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Converts other projects' checkpoints into our model directories ({@link ModelDirectory}). */
public final class Importer {
    private Importer() {
    }

    /**
     * Imports a llama2.c checkpoint, with its tokenizer when given (copied in as {@code tokenizer.bin}; its token
     * count must equal the model's vocabulary). Without a tokenizer the directory records the byte tokenizer.
     */
    public static RawModel llama2c(Path checkpoint, Path tokenizerFile, Path outDir) throws IOException {
        RawModel model = Llama2c.read(checkpoint);
        TokenizerSpec spec = TokenizerSpec.BYTE;
        byte[] tokenizerBytes = null;
        if (tokenizerFile != null) {
            Llama2cTokenizer tokenizer = Llama2cTokenizer.read(tokenizerFile);
            if (tokenizer.vocabSize() != model.config().vocab()) {
                throw new UserError(tokenizerFile + ": the tokenizer has " + tokenizer.vocabSize() + " tokens but "
                        + checkpoint + " has a vocabulary of " + model.config().vocab() + ": give the tokenizer "
                        + "the model was trained with");
            }
            tokenizerBytes = Files.readAllBytes(tokenizerFile);
            spec = Llama2c.TOKENIZER;
        } else if (model.config().vocab() < new ByteTokenizer().vocabSize()) {
            throw new UserError(checkpoint + ": the model's vocabulary has " + model.config().vocab() + " tokens: "
                    + "give its llama2.c tokenizer file with --tokenizer");
        }
        model = model.withTokenizer(spec);
        Files.createDirectories(outDir);
        if (tokenizerBytes != null) {
            byte[] bytes = tokenizerBytes;
            AtomicFiles.write(outDir.resolve(spec.file()), out -> out.write(bytes));
        }
        ModelDirectory.save(outDir, model);
        return model;
    }

    /**
     * Imports an llm.c GPT-2 checkpoint. {@code tokenizer} null picks GPT-2's when the unpadded vocabulary is
     * 50257, the byte tokenizer otherwise.
     */
    public static RawModel llmc(Path checkpoint, TokenizerSpec tokenizer, Path outDir) throws IOException {
        RawModel model = LlmC.read(checkpoint);
        TokenizerSpec spec = tokenizer;
        if (spec == null) {
            int vocab = Integer.parseInt(model.metadata().get(LlmC.META_VOCAB));
            spec = vocab == Gpt2Tokenizer.VOCAB ? Gpt2Tokenizer.SPEC : TokenizerSpec.BYTE;
        }
        model = model.withTokenizer(spec);
        ModelDirectory.save(outDir, model);
        return model;
    }
}
