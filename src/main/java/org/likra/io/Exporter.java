package org.likra.io;

import java.io.IOException;
import java.nio.file.Path;

/** Converts our model directories into other projects' checkpoint formats. */
public final class Exporter {
    private Exporter() {
    }

    /** Writes a GPT-2-style model directory as an llm.c checkpoint (byte for byte the file it was imported from). */
    public static RawModel llmc(Path modelDir, Path out) throws IOException {
        RawModel model = ModelDirectory.readRaw(modelDir);
        LlmC.write(out, model);
        return model;
    }

    /** Writes a Llama-style model directory as a llama2.c (legacy, version 0) checkpoint. */
    public static RawModel llama2c(Path modelDir, Path out) throws IOException {
        RawModel model = ModelDirectory.readRaw(modelDir);
        Llama2c.write(out, model);
        return model;
    }
}
