package org.likra.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.cli.ExportCommand;
import org.likra.cli.ImportCommand;
import org.likra.cli.InfoCommand;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The import, export and info commands, run through picocli. */
class CommandsTest {
    record Result(int code, String out, String err) {
    }

    static Result run(Object command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void importExportAndInfoOfAnLlmcCheckpoint(@TempDir Path tmp) throws Exception {
        Path bin = LlmCTest.writeRandom(tmp, 3);
        Path dir = tmp.resolve("gpt2");
        Result r = run(new ImportCommand(), "llmc", bin.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("GPT-2-style"), r.out());
        Path back = tmp.resolve("back.bin");
        r = run(new ExportCommand(), "llmc", dir.toString(), "--out", back.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(bin), Files.readAllBytes(back));

        for (Path p : new Path[]{dir, dir.resolve("model.safetensors"), bin}) {
            r = run(new InfoCommand(), p.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("model.layers.1.mlp.down_proj.weight"), r.out());
            assertTrue(r.out().contains("[32, 128]"), r.out());
            int params = new org.likra.model.ParameterLayout(ModelDirectory.readConfig(dir).model()).total();
            assertTrue(r.out().contains(String.format(java.util.Locale.ROOT, "%,d", params)), r.out());
        }
        assertTrue(run(new InfoCommand(), dir.toString()).out().contains("GPT-2-style"));
    }

    @Test
    void importAndInfoOfALlama2cCheckpoint(@TempDir Path tmp) throws Exception {
        Path bin = Llama2cTest.write(tmp, false);
        Path dir = tmp.resolve("llama");
        Result r = run(new ImportCommand(), "llama2c", bin.toString(), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        r = run(new InfoCommand(), bin.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("llama2.c") && r.out().contains("lm_head.weight"), r.out());
        r = run(new InfoCommand(), dir.toString());
        assertTrue(r.out().contains("Llama-style") && r.out().contains("kv heads 2"), r.out());
        Path back = tmp.resolve("back.bin");
        r = run(new ExportCommand(), "llama2c", dir.toString(), "--out", back.toString());
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(Files.readAllBytes(bin), Files.readAllBytes(back));
    }

    @Test
    void realStories260K(@TempDir Path tmp) {
        Path bin = SharedFiles.require("models/stories260K/stories260K.bin");
        Path tok = SharedFiles.require("models/stories260K/tok512.bin");
        Result r = run(new ImportCommand(), "llama2c", bin.toString(), "--tokenizer", tok.toString(), "--out",
                tmp.resolve("s").toString());
        assertEquals(0, r.code(), r.err());
        r = run(new InfoCommand(), bin.toString());
        assertTrue(r.out().contains("dim 64, layers 5, heads 8, kv heads 4, hidden 172, vocab 512"), r.out());
        r = run(new InfoCommand(), tmp.resolve("s").toString());
        assertTrue(r.out().contains("tokenizer:    llama2c (tokenizer.bin)"), r.out());
    }

    @Test
    void missingArgumentsAreUsageErrors() {
        assertEquals(2, run(new ImportCommand(), "llama2c").code());
        assertEquals(2, run(new ImportCommand()).code());
        assertEquals(2, run(new ImportCommand(), "llmc", "x.bin", "--out", "d", "--tokenizer", "bogus").code());
    }
}
