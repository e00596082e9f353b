package org.likra.cli;

import org.likra.data.synthetic.SyntheticBenchmark;
import org.likra.data.synthetic.SyntheticSpec;
import org.likra.data.synthetic.World;
import org.likra.util.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code likra synth}: generates the synthetic knowledge benchmark into a folder. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Generates a synthetic knowledge benchmark: a made-up world of people, cities and arithmetic, "
                + "a pretraining corpus stating every fact in narrative paraphrases (and the facts of 'other' "
                + "entities also in the evaluation format \"Question: ... Answer: ...\"), plausible wrong beliefs "
                + "(misconceptions) stated beside some true facts, and multiple-choice questions (with near-miss, "
                + "misconception and far distractors) split into train, validation and test so that a train "
                + "question mentions only train and other entities.",
                "Writes corpus.txt, train.jsonl, validation.jsonl, test.jsonl, world.json and spec.json into --out. "
                        + "Options not given take the preset's value. The same options and seed always give the "
                        + "same files."})
public final class SynthCommand implements Callable<Integer> {
    @Spec
    CommandSpec commandSpec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder to write the benchmark into")
    Path out;

    @Option(names = "--preset", paramLabel = "NAME", description = "starting parameters: legacy (every fact also "
            + "as 'Q: ... A: ...', train/test only, no misconceptions), demo (small) or study (over 1,000 test "
            + "questions) (default: study)")
    String preset = "study";

    @Option(names = "--seed", paramLabel = "N", description = "random seed (default: 1)")
    Long seed;

    @Option(names = "--people", paramLabel = "N",
            description = "people, 4 facts each (default: study 700, demo 300, legacy 200)")
    Integer people;

    @Option(names = "--cities", paramLabel = "N",
            description = "cities, 1 fact each (default: study 80, demo 40, legacy 40)")
    Integer cities;

    @Option(names = "--countries", paramLabel = "N", description = "countries (default: study 10, demo 8, legacy 8)")
    Integer countries;

    @Option(names = "--additions", paramLabel = "N",
            description = "addition facts (default: study 60, demo 30, legacy 60)")
    Integer additions;

    @Option(names = "--multiplications", paramLabel = "N",
            description = "multiplication facts (default: study 60, demo 30, legacy 40)")
    Integer multiplications;

    @Option(names = "--max-operand", paramLabel = "N",
            description = "largest operand of arithmetic facts (default: 12)")
    Integer maxOperand;

    @Option(names = "--repeats", paramLabel = "N", description = "times the corpus states each true fact in each "
            + "of its forms (default: study 2, demo 3, legacy 4)")
    Integer repeats;

    @Option(names = "--test-fraction", paramLabel = "F", description = "share of people, cities and arithmetic "
            + "facts in the test split (default: study 0.35, demo 0.3, legacy 0.2)")
    Double testFraction;

    @Option(names = "--validation-fraction", paramLabel = "F", description = "share of them in the validation "
            + "split (default: study 0.1, demo 0.1, legacy 0)")
    Double validationFraction;

    @Option(names = "--other-fraction", paramLabel = "F", description = "share of them in the 'other' split: no "
            + "questions, facts also stated in the evaluation format (default: study 0.2, demo 0.25, legacy 0)")
    Double otherFraction;

    @Option(names = "--misconception-fraction", paramLabel = "F", description = "share of the train, validation "
            + "and test facts for which the corpus also states a false value (default: study 0.3, demo 0.3, "
            + "legacy 0)")
    Double misconceptionFraction;

    @Option(names = "--misconception-repeats", paramLabel = "N", description = "times the corpus states a false "
            + "value in each narrative paraphrase (default: 1)")
    Integer misconceptionRepeats;

    @Option(names = "--qa-for-splits", paramLabel = "BOOL", arity = "1", description = "also state train, "
            + "validation and test facts as 'Q: <question> A: <answer>.' (default: study false, demo false, "
            + "legacy true)")
    Boolean qaForSplits;

    @Option(names = "--near-miss", paramLabel = "N",
            description = "same-type distractors per question, a misconception included (default: 2)")
    Integer nearMiss;

    @Option(names = "--far", paramLabel = "N", description = "far distractors per question (default: 1)")
    Integer far;

    @Option(names = "--force", description = "replace benchmark files already in --out")
    boolean force;

    /** The parameters the options describe: the preset with every option given replacing its value. */
    public SyntheticSpec spec() {
        SyntheticSpec s = SyntheticSpec.preset(preset);
        if (seed != null) {
            s = s.withSeed(seed);
        }
        if (people != null) {
            s = s.withPeople(people);
        }
        if (cities != null) {
            s = s.withCities(cities);
        }
        if (countries != null) {
            s = s.withCountries(countries);
        }
        if (additions != null) {
            s = s.withAdditions(additions);
        }
        if (multiplications != null) {
            s = s.withMultiplications(multiplications);
        }
        if (maxOperand != null) {
            s = s.withMaxOperand(maxOperand);
        }
        if (repeats != null) {
            s = s.withRepeats(repeats);
        }
        if (testFraction != null) {
            s = s.withTestFraction(testFraction);
        }
        if (validationFraction != null) {
            s = s.withValidationFraction(validationFraction);
        }
        if (otherFraction != null) {
            s = s.withOtherFraction(otherFraction);
        }
        if (misconceptionFraction != null) {
            s = s.withMisconceptionFraction(misconceptionFraction);
        }
        if (misconceptionRepeats != null) {
            s = s.withMisconceptionRepeats(misconceptionRepeats);
        }
        if (qaForSplits != null) {
            s = s.withQaForSplits(qaForSplits);
        }
        if (nearMiss != null) {
            s = s.withNearMiss(nearMiss);
        }
        if (far != null) {
            s = s.withFar(far);
        }
        return s;
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
        pw.printf("synthetic benchmark (preset %s), seed %d: %d facts; %d train, %d validation and %d test "
                        + "questions of %d choices%n", preset, spec.seed(), bench.world().facts().size(),
                bench.train().size(), bench.validation().size(), bench.test().size(), spec.choices());
        pw.printf("  with a misconception: %d train, %d validation, %d test questions; corpus %,d bytes%s%n",
                bench.misconceptionFacts(World.Part.TRAIN), bench.misconceptionFacts(World.Part.VALIDATION),
                bench.misconceptionFacts(World.Part.TEST), bench.corpus().getBytes(StandardCharsets.UTF_8).length,
                spec.qaForSplits() ? " (with the Q: ... A: ... form)" : "");
        for (Path p : written) {
            pw.printf("  wrote %s (%,d bytes)%n", p, Files.size(p));
        }
        pw.flush();
        return 0;
    }
}
