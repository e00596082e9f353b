package org.likra.experiment;

import org.junit.jupiter.api.Test;
import org.likra.config.ModelConfig;
import org.likra.data.MultipleChoiceQuestion;
import org.likra.engine.Engine;
import org.likra.engine.Precision;
import org.likra.engine.reference.ReferenceEngine;
import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.tokenize.ByteTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.likra.engine.FiniteDifferences.assertGradient;
import static org.likra.engine.FiniteDifferences.gradient;

class TrainingTest {
    static ModelConfig tiny() {
        return new ModelConfig("exp-tiny", 16, 1, 2, 1, 24, 256, 32, ModelConfig.Norm.rmsnorm,
                ModelConfig.Mlp.swiglu, ModelConfig.Positions.rope, false, false, 10000.0, 1e-5).validate("t");
    }

    @Test
    void dpoGradientMatchesFiniteDifferencesOfTheDpoLoss() {
        Engine e = new ReferenceEngine(Precision.F64);
        Transformer model = new Transformer(tiny(), e);
        Initializer.initialize(model, 2);
        DpoTrainer dpo = new DpoTrainer(model, new ByteTokenizer(), 0.5);
        LoraAdapter adapter = new LoraAdapter(model, new LoraConfig(2, 4, LoraConfig.MLP));
        Random r = new Random(4);
        double[] values = new double[adapter.parameters().length()];
        for (int i = 0; i < values.length; i++) {
            values[i] = r.nextGaussian() * 0.3;
        }
        e.upload(adapter.parameters(), values, 0);
        List<DpoTrainer.Pair> pairs = List.of(new DpoTrainer.Pair("Q: 1+1?", " 2", " 3"),
                new DpoTrainer.Pair("Q: sky?", " blue", " green"));
        dpo.lossAndGradient(adapter, pairs);
        double[] analytic = new double[values.length];
        e.download(adapter.gradients(), analytic, 0);
        double[] numerical = gradient(values, x -> {
            e.upload(adapter.parameters(), x, 0);
            return dpo.lossAndGradient(adapter, pairs);
        });
        assertGradient("DPO loss", analytic, numerical);
    }

    @Test
    void dpoLossAtTheReferenceIsLog2() {
        Engine e = new ReferenceEngine(Precision.F64);
        Transformer model = new Transformer(tiny(), e);
        Initializer.initialize(model, 2);
        LoraAdapter fresh = new LoraAdapter(model, new LoraConfig(2, 4, LoraConfig.MLP));
        fresh.initialize(1);
        double loss = new DpoTrainer(model, new ByteTokenizer(), 0.1).lossAndGradient(fresh,
                List.of(new DpoTrainer.Pair("Q", " a", " b")));
        assertEquals(Math.log(2), loss, 1e-12);
    }

    @Test
    void headTrainingRaisesTheLikelihoodOfItsAnswersInTheRecipesNumberOfUpdates() {
        Engine e = new ReferenceEngine(Precision.F32);
        Transformer model = new Transformer(tiny(), e);
        Initializer.initialize(model, 2);
        List<Example> examples = java.util.Collections.nCopies(40, new Example("Q: colour?", " red"));
        HeadRecipe recipe = new HeadRecipe(new LoraConfig(4, 8, LoraConfig.MLP), 3e-2, "linear", 2, 8, 1.0, 0.1);
        AnswerLikelihood likelihood = new AnswerLikelihood(model, new ByteTokenizer(), PromptFormat.PAPER);
        double before = likelihood.sequences(List.of(new Example("Q: colour?", " red")), null)[0];
        int[] updates = {0};
        double[] losses = new double[recipe.updates(40)];
        LoraAdapter head = new HeadTrainer(model, new ByteTokenizer()).languageModel(examples, recipe, 1,
                loss -> losses[updates[0]++] = loss);
        assertEquals(2 * 5, updates[0], "2 epochs of 40 examples in batches of 8");
        assertEquals(recipe.updates(40), updates[0]);
        assertTrue(losses[losses.length - 1] < losses[0], "each update reports its batch's loss, which falls: "
                + java.util.Arrays.toString(losses));
        double after = likelihood.sequences(List.of(new Example("Q: colour?", " red")), head)[0];
        assertTrue(after > before + 1, "log p before " + before + ", after " + after);
        assertTrue(model.adapter() == null, "training leaves the model as it found it");
    }

    @Test
    void batchedScoringEqualsScoringOneQuestionAtATime() {
        Engine e = new ReferenceEngine(Precision.F64);
        Transformer model = new Transformer(tiny(), e);
        Initializer.initialize(model, 5);
        AnswerLikelihood likelihood = new AnswerLikelihood(model, new ByteTokenizer(), PromptFormat.PAPER);
        List<MultipleChoiceQuestion> qs = List.of(
                new MultipleChoiceQuestion("a", "Where?", List.of("Velis", "Oro", "a long answer here"), 1),
                new MultipleChoiceQuestion("b", "What is 2 plus 2?", List.of("4", "5"), 0),
                new MultipleChoiceQuestion("c", "Colour?", List.of("red", "blue", "green", "grey"), 3));
        List<double[]> batched = likelihood.choices(qs, null, 5, () -> { });
        for (int i = 0; i < qs.size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(likelihood.choices(qs.get(i), null), batched.get(i),
                    1e-12);
        }
    }

    @Test
    void curveEvaluatesEveryScorerAtEveryCheckpoint() {
        Engine e = new ReferenceEngine(Precision.F32);
        Transformer model = new Transformer(tiny(), e);
        Initializer.initialize(model, 2);
        List<MultipleChoiceQuestion> train = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            train.add(new MultipleChoiceQuestion("t" + i, "Is " + i + " even?", List.of("yes", "no"), i % 2,
                    List.of(), null));
        }
        List<MultipleChoiceQuestion> test = train.subList(0, 6);
        HeadRecipe recipe = new HeadRecipe(new LoraConfig(2, 2, LoraConfig.MLP), 1e-3, "linear", 1, 16, 1.0, 0.1);
        CurveSettings settings = CurveSettings.DEFAULTS
                .withNegatives(NegativeSelection.DEFAULT.withStrategy(NegativeStrategy.NEAR_MISS)).withHeads(recipe)
                .withDpo(recipe);
        List<CurvePoint> points = new LearningCurve(model, new ByteTokenizer(), PromptFormat.PAPER, settings,
                org.likra.util.Progress.silent()).run(train, test);
        assertEquals(List.of(32, 40), points.stream().map(CurvePoint::n).toList());
        for (CurvePoint p : points) {
            assertEquals(List.of("base", "sft", "likra", "base-neg", "pos-base", "dpo"),
                    List.copyOf(p.evaluations().keySet()));
            assertEquals(6, p.evaluations().get("likra").acc().total());
        }
        assertEquals(points.get(0).evaluations().get("base").acc(), points.get(1).evaluations().get("base").acc());
    }
}
