package org.likra.study;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.data.synthetic.SyntheticBenchmark;
import org.likra.data.synthetic.SyntheticSpec;
import org.likra.util.UserError;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A study's synthetic world, regenerated from its plan (generation is a pure function of the preset and seed), and
 * its files in {@code <study>/world/} (the pretraining corpus is read from there).
 *
 * @param benchmark  the generated benchmark
 * @param test       the test questions the study scores (all, or the first {@code maxTest} in a seeded order)
 * @param validation the questions on which head settings are chosen (at most {@code maxTrain}: the first ones)
 * @param train      the training questions (at most {@code maxTrain}: the first ones)
 */
public record StudyWorld(SyntheticBenchmark benchmark, List<MultipleChoiceQuestion> test,
                         List<MultipleChoiceQuestion> validation, List<MultipleChoiceQuestion> train) {

    public static SyntheticSpec spec(StudyPlan.World world) {
        SyntheticSpec base = switch (world.preset()) {
            case "study" -> SyntheticSpec.study();
            case "demo" -> SyntheticSpec.demo();
            case "legacy" -> SyntheticSpec.legacy();
            default -> throw new UserError("plan field world.preset: unknown preset '" + world.preset()
                    + "' (known: study, demo, legacy)");
        };
        SyntheticSpec spec = base.withSeed(world.seed());
        if (world.repeats() != null) {
            spec = spec.withRepeats(world.repeats());
        }
        if (world.misconceptionFraction() != null) {
            spec = spec.withMisconceptionFraction(world.misconceptionFraction());
        }
        if (world.misconceptionRepeats() != null) {
            spec = spec.withMisconceptionRepeats(world.misconceptionRepeats());
        }
        return spec.validate();
    }

    public static StudyWorld generate(StudyPlan plan) {
        SyntheticBenchmark b = SyntheticBenchmark.generate(spec(plan.world()));
        List<MultipleChoiceQuestion> test = b.test();
        if (plan.maxTest() > 0 && test.size() > plan.maxTest()) {
            test = QuestionSets.take(QuestionSets.shuffle(test, plan.world().seed()), plan.maxTest());
        }
        List<MultipleChoiceQuestion> validation = b.validation();
        List<MultipleChoiceQuestion> train = b.train();
        if (plan.maxTrain() > 0) {
            validation = QuestionSets.take(validation, plan.maxTrain());
            train = QuestionSets.take(train, plan.maxTrain());
        }
        if (b.validation().isEmpty()) {
            throw new UserError("world preset " + plan.world().preset() + " has no validation questions; head "
                    + "settings must be chosen on a validation split (use the study or demo preset)");
        }
        return new StudyWorld(b, test, validation, train);
    }

    /** Writes the world's files into {@code dir} unless they are there with the same corpus. */
    public Path writeTo(Path dir) throws IOException {
        Path corpus = dir.resolve("corpus.txt");
        if (!Files.isRegularFile(corpus) || !Files.readString(corpus, StandardCharsets.UTF_8)
                .equals(benchmark.corpus())) {
            benchmark.write(dir);
        }
        return corpus;
    }

    /** The entity a question asks about: its bootstrap cluster. */
    public static String entity(MultipleChoiceQuestion q) {
        return SyntheticBenchmark.entityOf(q);
    }
}
