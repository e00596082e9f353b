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
    void defaultsAreTheStudyPresetAndOptionsReplaceItsValues() {
        SynthCommand cmd = new SynthCommand();
        new CommandLine(cmd).parseArgs("--out", "x");
        assertEquals(SyntheticSpec.study(), cmd.spec());
        for (String preset : SyntheticSpec.PRESETS) {
            SynthCommand c = new SynthCommand();
            new CommandLine(c).parseArgs("--out", "x", "--preset", preset);
            assertEquals(SyntheticSpec.preset(preset), c.spec());
        }
        SynthCommand c = new SynthCommand();
        new CommandLine(c).parseArgs("--out", "x", "--preset", "demo", "--validation-fraction", "0.05",
                "--other-fraction", "0.15", "--misconception-fraction", "0.2", "--misconception-repeats", "2",
                "--qa-for-splits", "true", "--seed", "9");
        assertEquals(SyntheticSpec.demo().withValidationFraction(0.05).withOtherFraction(0.15)
                .withMisconceptionFraction(0.2).withMisconceptionRepeats(2).withQaForSplits(true).withSeed(9), c.spec());
    }

    @Test
    void everyOptionDescriptionListsThePresetsDefaults() {
        CommandLine cl = new CommandLine(new SynthCommand());
        java.util.Map<String, java.util.function.Function<SyntheticSpec, Object>> fields = new java.util.LinkedHashMap<>();
        fields.put("--people", SyntheticSpec::people);
        fields.put("--cities", SyntheticSpec::cities);
        fields.put("--countries", SyntheticSpec::countries);
        fields.put("--additions", SyntheticSpec::additions);
        fields.put("--multiplications", SyntheticSpec::multiplications);
        fields.put("--repeats", SyntheticSpec::repeats);
        fields.put("--test-fraction", SyntheticSpec::testFraction);
        fields.put("--validation-fraction", SyntheticSpec::validationFraction);
        fields.put("--other-fraction", SyntheticSpec::otherFraction);
        fields.put("--misconception-fraction", SyntheticSpec::misconceptionFraction);
        fields.put("--qa-for-splits", SyntheticSpec::qaForSplits);
        for (var e : fields.entrySet()) {
            String d = String.join(" ", cl.getCommandSpec().findOption(e.getKey()).description());
            for (String preset : SyntheticSpec.PRESETS) {
                Object v = e.getValue().apply(SyntheticSpec.preset(preset));
                String text = v instanceof Double x && x == Math.rint(x) ? Long.toString(x.longValue()) : v.toString();
                assertTrue(d.contains(preset + " " + text), e.getKey() + " should list " + preset + " " + text + ": " + d);
            }
        }
        java.util.Map<String, java.util.function.Function<SyntheticSpec, Object>> same = java.util.Map.of(
                "--seed", SyntheticSpec::seed, "--max-operand", SyntheticSpec::maxOperand,
                "--misconception-repeats", SyntheticSpec::misconceptionRepeats, "--near-miss", SyntheticSpec::nearMiss,
                "--far", SyntheticSpec::far);
        for (var e : same.entrySet()) {
            String d = String.join(" ", cl.getCommandSpec().findOption(e.getKey()).description());
            for (String preset : SyntheticSpec.PRESETS) {
                Object v = e.getValue().apply(SyntheticSpec.preset(preset));
                assertTrue(d.contains("(default: " + v + ")"), e.getKey() + ": " + d);
            }
        }
    }

    @Test
    void writesTheBenchmarkAndSaysWhat(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench");
        StringWriter text = new StringWriter();
        CommandLine cl = new CommandLine(new SynthCommand());
        cl.setOut(new PrintWriter(text));
        String[] args = {"--out", out.toString(), "--preset", "demo", "--seed", "7", "--people", "30",
                "--cities", "10", "--countries", "4", "--additions", "10", "--multiplications", "5", "--repeats", "2",
                "--test-fraction", "0.3"};
        assertEquals(0, cl.execute(args));
        SyntheticBenchmark expected = SyntheticBenchmark.generate(SyntheticSpec.demo().withSeed(7).withPeople(30)
                .withCities(10).withCountries(4).withAdditions(10).withMultiplications(5).withRepeats(2)
                .withTestFraction(0.3));
        assertEquals(expected.corpus(), Files.readString(out.resolve("corpus.txt")));
        assertEquals(expected.validation(), JsonlQuestionReader.read(out.resolve("validation.jsonl")));
        assertEquals(expected.test(), JsonlQuestionReader.read(out.resolve("test.jsonl")));
        String printed = text.toString();
        for (String f : SyntheticBenchmark.FILES) {
            assertTrue(printed.contains(out.resolve(f).toString()), printed);
        }
        assertTrue(printed.contains("seed 7"), printed);
        assertTrue(printed.contains(expected.validation().size() + " validation"), printed);
        assertTrue(printed.contains("with a misconception: " + expected.misconceptionFacts(World.Part.TRAIN)
                + " train"), printed);
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
    void badSizesAreUserErrorsAndWriteNothing(@TempDir Path dir) throws Exception {
        for (String[] bad : new String[][]{{"--countries", "1"}, {"--other-fraction", "0.6"},
                {"--misconception-fraction", "2"}, {"--misconception-repeats", "0"}, {"--preset", "huge"},
                {"--validation-fraction", "-1"}}) {
            SynthCommand cmd = new SynthCommand();
            new CommandLine(cmd).parseArgs(concat(bad, concat(new String[]{"--out"}, dir.resolve("b").toString())));
            UserError e = assertThrows(UserError.class, cmd::call, String.join(" ", bad));
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
        assertTrue(!Files.exists(dir.resolve("b")));
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String[] concat(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }
}
