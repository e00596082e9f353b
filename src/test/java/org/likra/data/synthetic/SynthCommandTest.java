package org.likra.data.synthetic;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.cli.SynthCommand;
import org.likra.data.JsonlQuestionReader;
import org.likra.util.UserError;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The synth command (org.likra.cli) is tested here, next to the generator it drives. */
class SynthCommandTest {
    @Test
    void defaultsMatchTheSpecDefaults() {
        SynthCommand cmd = new SynthCommand();
        new CommandLine(cmd).parseArgs("--out", "x");
        assertEquals(SyntheticSpec.defaults(), cmd.spec());
    }

    @Test
    void writesTheBenchmarkAndSaysWhat(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench");
        StringWriter text = new StringWriter();
        CommandLine cl = new CommandLine(new SynthCommand());
        cl.setOut(new PrintWriter(text));
        String[] args = {"--out", out.toString(), "--seed", "7", "--people", "30", "--cities", "10",
                "--countries", "4", "--additions", "10", "--multiplications", "5", "--repeats", "2",
                "--test-fraction", "0.3"};
        assertEquals(0, cl.execute(args));
        SyntheticBenchmark expected = SyntheticBenchmark.generate(new SyntheticSpec(7, 30, 10, 4, 10, 5, 12, 2, 0.3,
                2, 1));
        assertEquals(expected.corpus(), Files.readString(out.resolve("corpus.txt")));
        assertEquals(expected.test(), JsonlQuestionReader.read(out.resolve("test.jsonl")));
        String printed = text.toString();
        for (String f : SyntheticBenchmark.FILES) {
            assertTrue(printed.contains(out.resolve(f).toString()), printed);
        }
        assertTrue(printed.contains("seed 7"), printed);
        // a second run refuses to overwrite without --force
        SynthCommand again = new SynthCommand();
        new CommandLine(again).parseArgs(args);
        UserError e = assertThrows(UserError.class, again::call);
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        CommandLine forced = new CommandLine(new SynthCommand());
        forced.setOut(new PrintWriter(new StringWriter()));
        assertEquals(0, forced.execute(concat(args, "--force")));
    }

    @Test
    void badSizesAreUserErrors(@TempDir Path dir) {
        SynthCommand cmd = new SynthCommand();
        new CommandLine(cmd).parseArgs("--out", dir.toString(), "--countries", "1");
        assertThrows(UserError.class, cmd::call);
    }

    private static String[] concat(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }
}
