package org.likra.cli;

import org.junit.jupiter.api.Test;
import org.likra.experiment.HeadRecipe;
import org.likra.experiment.NegativeStrategy;
import org.likra.study.StudyPlan;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The options of every command: each is described and shows its default; a value out of range or a misspelt name
 * is refused while the command line is parsed (one line, exit 1, before any work); `train` and `curve` default to
 * the demo study's recipe.
 */
class OptionsTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream savedOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out));
        try {
            int code = cl.execute(args);
            return new Run(code, out.toString(), err.toString());
        } finally {
            System.setOut(savedOut);
        }
    }

    /** Every command and subcommand below {@code cl}, {@code cl} included. */
    private static List<CommandLine> commands(CommandLine cl) {
        List<CommandLine> all = new ArrayList<>(List.of(cl));
        for (CommandLine sub : cl.getSubcommands().values()) {
            all.addAll(commands(sub));
        }
        return all;
    }

    /** Whether the option has a value when not given: a default value, or a field's initial value. */
    private static boolean hasDefault(OptionSpec o) {
        if (o.defaultValue() != null) {
            return true;
        }
        Object initial = o.hasInitialValue() ? o.initialValue() : null;
        return initial != null && !Boolean.FALSE.equals(initial)
                && !(initial instanceof Collection<?> c && c.isEmpty());
    }

    @Test
    void everyOptionIsDescribedAndShowsItsDefault() {
        List<String> problems = new ArrayList<>();
        for (CommandLine cl : commands(Main.commandLine())) {
            CommandSpec spec = cl.getCommandSpec();
            List<ArgSpec> args = new ArrayList<>(spec.options());
            args.addAll(spec.positionalParameters());
            for (ArgSpec a : args) {
                String name = spec.qualifiedName() + " " + (a instanceof OptionSpec o ? o.longestName()
                        : a.paramLabel());
                if (a instanceof OptionSpec o && (o.usageHelp() || o.versionHelp())) {
                    continue;
                }
                String text = String.join(" ", a.description()).strip();
                if (text.isEmpty()) {
                    problems.add(name + ": no description");
                } else if (a instanceof OptionSpec o && hasDefault(o)
                        && !text.toLowerCase(Locale.ROOT).contains("default")) {
                    problems.add(name + ": has a default (" + o.defaultValue() + ") that its description does not show");
                }
            }
        }
        assertEquals(List.of(), problems);
    }

    /** The command lines of the issue and their like: each refused at once, naming the option. */
    @Test
    void valuesOutOfRangeAndMisspeltNamesAreRefusedWhileParsing() {
        String[] pretrain = {"pretrain", "--corpus", "none.txt", "--out", "no-run"};
        String[] train = {"train", "--model", "no-model", "--data", "none.jsonl", "--out", "no-heads"};
        String[] curve = {"curve", "--model", "no-model", "--train", "none.jsonl", "--test", "none.jsonl", "--out",
                "no-curve"};
        String[][] cases = {
                cat(pretrain, "--grad-clip", "NaN"), {"--grad-clip"},
                cat(pretrain, "--beta2", "1.5"), {"--beta2", "[0, 1)"},
                cat(pretrain, "--beta1", "-0.1"), {"--beta1"},
                cat(pretrain, "--adam-eps", "0"), {"--adam-eps"},
                cat(pretrain, "--val-fraction", "1"), {"--val-fraction"},
                cat(pretrain, "--schedule", "linear"), {"--schedule", "constant, cosine"},
                cat(pretrain, "--steps", "0"), {"--steps"},
                cat(train, "--contamination", "2"), {"--contamination", "[0, 1]"},
                cat(train, "--max-train", "-5"), {"--max-train"},
                cat(train, "--negatives", "nearmiss"), {"--negatives", "near-miss", "'nearmiss'"},
                cat(train, "--head", "positve"), {"--head", "positive, negative, both, dpo"},
                cat(train, "--lr", "-1e-3"), {"--lr"},
                cat(train, "--rank", "0"), {"--rank"},
                cat(train, "--targets", "up_proj,mlp"), {"--targets", "gate_proj"},
                cat(train, "--epochs", "0"), {"--epochs", "1..100"},
                cat(curve, "--w-neg", "NaN"), {"--w-neg"},
                cat(curve, "--metric", "accuracy"), {"--metric", "acc, acc_norm"},
                cat(curve, "--schedule", "step"), {"--schedule", "constant, linear, cosine"},
                {"bench", "--threads", "100000"}, {"--threads", "0 (all cores)"},
                {"sample", "--model", "no-model", "--steps", "-1"}, {"--steps"},
                {"sample", "--model", "no-model", "--top-p", "0"}, {"--top-p"},
                {"eval", "--model", "no-model", "--data", "none.jsonl", "--scorer", "likr"}, {"--scorer", "likra"},
                {"eval", "--model", "no-model", "--data", "none.jsonl", "--precision", "f16"}, {"--precision"},
                {"demo", "--workers", "0"}, {"--workers", "1..64"},
                {"demo", "--engine", "gpu"}, {"--engine", "reference, cpu, tornado"},
                {"study", "--plan", "none.json", "--out", "no-study", "--workers", "100"}, {"--workers"},
                {"compare", "--run", "a=none.csv", "--out", "c.png", "--scorer", "lkra"}, {"--scorer", "likra"},
                {"import", "llmc", "none.bin", "--out", "d", "--tokenizer", "bogus"}, {"--tokenizer", "gpt2"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            String[] args = cases[i];
            Run r = run(args);
            String line = String.join(" ", args);
            assertEquals(1, r.code(), line + ": " + r.err());
            String[] lines = r.err().strip().split("\n");
            assertEquals(1, lines.length, line + ": one line, got " + r.err());
            for (String expected : cases[i + 1]) {
                assertTrue(lines[0].contains(expected), line + ": expected '" + expected + "' in " + lines[0]);
            }
            assertTrue(lines[0].endsWith("see `likra " + args[0] + (args[0].equals("import") ? " llmc" : "")
                    + " --help`"), lines[0]);
            assertEquals("", r.out(), line + ": nothing ran");
        }
    }

    private static String[] cat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void parseErrorsAreOneLineWithExitCode1() {
        Run unknown = run("train", "--model", "m", "--data", "d", "--out", "o", "--bogus");
        assertEquals(1, unknown.code());
        assertEquals("likra: Unknown option: '--bogus'; see `likra train --help`", unknown.err().strip());
        Run missing = run("eval", "--model", "m");
        assertEquals(1, missing.code());
        assertEquals(1, missing.err().strip().split("\n").length, missing.err());
        assertTrue(missing.err().contains("'--data=<data>'"), missing.err());
        Run noFormat = run("export");
        assertEquals(1, noFormat.code());
        assertEquals("likra: missing the format: llmc or llama2c; see `likra export --help`", noFormat.err().strip());
    }

    /** train's and curve's defaults are the demo plan's heads (HeadRecipe.DEFAULT) and main arm, with DPO in curve. */
    @Test
    void trainAndCurveDefaultToTheDemoStudysRecipe() {
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs("--model", "m", "--data", "d", "--out", "o");
        CurveCommand curve = new CurveCommand();
        new CommandLine(curve).parseArgs("--model", "m", "--train", "d", "--test", "t", "--out", "o");
        StudyPlan demo = StudyPlan.read(Path.of("studies/demo.json"));
        for (HeadOptions o : List.of(train.options, curve.head)) {
            assertEquals(HeadRecipe.DEFAULT, o.recipe());
            assertEquals(HeadRecipe.DEFAULT, o.dpoRecipe(), "DPO matched to the heads, as the demo's");
            assertTrue(demo.heads().lr().contains(o.lr) && demo.heads().epochs().contains(o.epochs),
                    "the default lr and epochs are a point of the demo's grid " + demo.heads());
            assertEquals(demo.heads().recipe(o.lr, o.epochs), o.recipe());
            assertEquals(demo.main().strategy(), o.negativeStrategy());
            assertEquals(NegativeStrategy.ALL, o.negativeStrategy());
            assertEquals(demo.main().perQuestion(), o.negativesPerQuestion);
            assertEquals(demo.main().contamination(), o.contamination);
        }
        assertTrue(curve.dpo, "curve trains a DPO baseline as the demo does");
        assertFalse(demo.dpo().isEmpty());
        CurveCommand noDpo = new CurveCommand();
        new CommandLine(noDpo).parseArgs("--model", "m", "--train", "d", "--test", "t", "--out", "o", "--no-dpo");
        assertFalse(noDpo.dpo);
    }
}
