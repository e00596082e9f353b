package org.likra.cli;

import org.likra.data.synthetic.SyntheticBenchmark;
import org.likra.data.synthetic.SyntheticSpec;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code likra synth}: generates the synthetic knowledge benchmark into a folder. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Generates a synthetic knowledge benchmark: a made-up world of people, cities and arithmetic, "
                + "a pretraining corpus stating every fact in a few paraphrases, and multiple-choice questions "
                + "(with near-miss and far distractors) split into train and test so that no train question "
                + "mentions a test entity.",
                "Writes corpus.txt, train.jsonl, test.jsonl, world.json and spec.json into --out. "
                        + "The same options and seed always give the same files."})
public final class SynthCommand implements Callable<Integer> {
    private static final SyntheticSpec D = SyntheticSpec.defaults();

    @Spec
    CommandSpec commandSpec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder to write the benchmark into")
    Path out;

    @Option(names = "--seed", paramLabel = "N", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed = D.seed();

    @Option(names = "--people", paramLabel = "N", description = "people, 4 facts each (default: ${DEFAULT-VALUE})")
    int people = D.people();

    @Option(names = "--cities", paramLabel = "N", description = "cities, 1 fact each (default: ${DEFAULT-VALUE})")
    int cities = D.cities();

    @Option(names = "--countries", paramLabel = "N", description = "countries (default: ${DEFAULT-VALUE})")
    int countries = D.countries();

    @Option(names = "--additions", paramLabel = "N", description = "addition facts (default: ${DEFAULT-VALUE})")
    int additions = D.additions();

    @Option(names = "--multiplications", paramLabel = "N",
            description = "multiplication facts (default: ${DEFAULT-VALUE})")
    int multiplications = D.multiplications();

    @Option(names = "--max-operand", paramLabel = "N",
            description = "largest operand of arithmetic facts (default: ${DEFAULT-VALUE})")
    int maxOperand = D.maxOperand();

    @Option(names = "--repeats", paramLabel = "N",
            description = "times the corpus repeats each paraphrase of each fact (default: ${DEFAULT-VALUE})")
    int repeats = D.repeats();

    @Option(names = "--test-fraction", paramLabel = "F",
            description = "share of entities whose questions are held out for test (default: ${DEFAULT-VALUE})")
    double testFraction = D.testFraction();

    @Option(names = "--near-miss", paramLabel = "N",
            description = "near-miss distractors per question (default: ${DEFAULT-VALUE})")
    int nearMiss = D.nearMiss();

    @Option(names = "--far", paramLabel = "N", description = "far distractors per question (default: ${DEFAULT-VALUE})")
    int far = D.far();

    @Option(names = "--force", description = "replace benchmark files already in --out")
    boolean force;

    /** The parameters the options describe. */
    public SyntheticSpec spec() {
        return new SyntheticSpec(seed, people, cities, countries, additions, multiplications, maxOperand, repeats,
                testFraction, nearMiss, far);
    }

    @Override
    public Integer call() throws IOException {
        SyntheticSpec spec = spec().validate();
        if (!force) {
            for (String f : SyntheticBenchmark.FILES) {
                if (Files.exists(out.resolve(f))) {
                    throw new UserError(out.resolve(f) + " already exists; choose another --out or add --force "
                            + "to replace it");
                }
            }
        }
        SyntheticBenchmark bench = SyntheticBenchmark.generate(spec);
        List<Path> written = bench.write(out);
        PrintWriter pw = commandSpec.commandLine().getOut();
        pw.printf("synthetic benchmark, seed %d: %d facts, %d train and %d test questions of %d choices%n",
                spec.seed(), bench.world().facts().size(), bench.train().size(), bench.test().size(), spec.choices());
        for (Path p : written) {
            pw.printf("  wrote %s (%,d bytes)%n", p, Files.size(p));
        }
        pw.flush();
        return 0;
    }
}
