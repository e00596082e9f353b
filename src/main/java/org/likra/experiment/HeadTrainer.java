package org.likra.experiment;

import org.likra.engine.AdamWSettings;
import org.likra.lora.LoraAdapter;
import org.likra.model.Adapter;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.train.AdamW;
import org.likra.train.TrainingStep;
import org.likra.util.UserError;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleConsumer;

/**
 * Trains one LoRA head on a frozen base model by a {@link HeadRecipe}: a fresh adapter (A drawn from {@code seed},
 * B = 0), {@code epochs} passes over the items, each pass in a random order drawn from {@code seed}, batches of
 * {@code batch} items, AdamW (beta 0.9 / 0.999, eps 1e-8, no weight decay) with the recipe's learning-rate
 * schedule over all updates and its gradient-norm clipping. A language-model head (positive or negative) minimises
 * the cross-entropy of the answer tokens, mean over the batch's answer tokens; a DPO head minimises
 * {@link DpoTrainer}'s loss against the frozen base.
 */
public final class HeadTrainer {
    private final Transformer model;
    private final Tokenizer tokenizer;

    public HeadTrainer(Transformer model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /**
     * A language-model head trained on {@code examples}; {@code onUpdate} gets each update's batch loss (before the
     * update) after the update.
     */
    public LoraAdapter languageModel(List<Example> examples, HeadRecipe recipe, long seed, DoubleConsumer onUpdate) {
        LoraAdapter adapter = fresh(recipe, seed);
        train(adapter, examples, recipe, seed, (step, update, lr, batch) -> {
            // The mean cross-entropy of the batch's answer tokens.
            SequenceBatch b = SequenceBatch.of(batch, tokenizer, model.config().context());
            return step.run(update, lr, b.inputs, b.targets, b.meanWeights(), b.batch, b.time);
        }, onUpdate);
        return adapter;
    }

    /** A DPO head trained on {@code pairs} with the recipe's beta; otherwise as {@link #languageModel}. */
    public LoraAdapter dpo(List<DpoTrainer.Pair> pairs, HeadRecipe recipe, long seed, DoubleConsumer onUpdate) {
        DpoTrainer dpo = new DpoTrainer(model, tokenizer, recipe.dpoBeta());
        LoraAdapter adapter = fresh(recipe, seed);
        train(adapter, pairs, recipe, seed,
                (step, update, lr, batch) -> step.run(update, lr, () -> dpo.lossAndGradient(adapter, batch)), onUpdate);
        return adapter;
    }

    private LoraAdapter fresh(HeadRecipe recipe, long seed) {
        LoraAdapter adapter = new LoraAdapter(model, recipe.lora());
        adapter.initialize(seed);
        return adapter;
    }

    /** One update on one batch by the head's objective, through {@code step}; returns the batch's loss. */
    private interface Objective<T> {
        double update(TrainingStep step, int update, float lr, List<T> batch);
    }

    private <T> void train(LoraAdapter adapter, List<T> items, HeadRecipe recipe, long seed, Objective<T> objective,
                           DoubleConsumer onUpdate) {
        TrainingStep step = new TrainingStep(model,
                AdamW.of(adapter, AdamWSettings.ADAPTER.withMaxGradNorm((float) recipe.gradClip())));
        int total = recipe.updates(items.size());
        Random order = new Random(seed * 0x9E3779B97F4A7C15L + 17);
        Adapter previous = model.adapter();
        model.attach(adapter);
        adapter.training(true, seed); // dropout masks (LoraConfig.dropout) only while the head trains
        try {
            int update = 0;
            for (int epoch = 0; epoch < recipe.epochs(); epoch++) {
                List<T> shuffled = new ArrayList<>(items);
                java.util.Collections.shuffle(shuffled, order);
                for (int from = 0; from < shuffled.size(); from += recipe.batch()) {
                    List<T> batch = shuffled.subList(from, Math.min(shuffled.size(), from + recipe.batch()));
                    double loss;
                    try {
                        loss = objective.update(step, update + 1, (float) recipe.lrAt(update, total), batch);
                    } catch (TrainingStep.Diverged e) {
                        throw new UserError("a head's training diverged at update " + (update + 1) + ": " + e.what()
                                + "; lower its learning rate");
                    }
                    update++;
                    onUpdate.accept(loss);
                }
            }
        } finally {
            adapter.training(false, 0);
            model.attach(previous);
        }
    }
}
