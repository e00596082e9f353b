package org.likra.experiment;

import org.likra.lora.LoraAdapter;
import org.likra.lora.LoraConfig;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;
import org.likra.train.AdamW;
import org.likra.util.UserError;

import java.util.List;

/**
 * Trains one LoRA head on a frozen base model: one pass over the examples in order, batches of {@code batch}
 * examples, constant learning rate, causal-LM cross-entropy on answer tokens only (mean over the batch's answer
 * tokens), AdamW without weight decay. Examples come grouped by question; at each checkpoint (a number of
 * questions seen) a partial batch is flushed and the adapter's values are handed to the caller.
 */
public final class HeadTrainer {
    /** Receives the adapter's parameters after the examples of the first {@code questions} questions. */
    @FunctionalInterface
    public interface Snapshot {
        void accept(int questions, float[] adapterValues);
    }

    public record Settings(LoraConfig lora, double lr, int batch, long seed) {
        public Settings {
            if (!(lr > 0) || batch <= 0) {
                throw new UserError("a head needs a positive learning rate and batch size");
            }
        }
    }

    private final Transformer model;
    private final Tokenizer tokenizer;
    private final Settings settings;

    public HeadTrainer(Transformer model, Tokenizer tokenizer, Settings settings) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
    }

    /**
     * The mean cross-entropy of the answer tokens of {@code examples} under the model with its attached adapter;
     * leaves the gradient in the model's (and adapter's) gradient buffers.
     */
    static double lossAndGradient(Transformer model, Tokenizer tokenizer, List<Example> examples) {
        SequenceBatch b = SequenceBatch.of(examples, tokenizer, model.config().context());
        model.setInputs(b.inputs, b.targets, b.meanWeights(), b.batch, b.time);
        model.forward();
        model.backward();
        return model.loss();
    }

    /** A fresh adapter trained on {@code perQuestion} (examples grouped by question), snapshotting at checkpoints. */
    public LoraAdapter train(List<List<Example>> perQuestion, int[] checkpoints, Snapshot snapshot) {
        LoraAdapter adapter = new LoraAdapter(model, settings.lora());
        adapter.initialize(settings.seed());
        AdamW adam = new AdamW(model.engine(), adapter.parameters(), adapter.gradients(), 0, 0.9f, 0.999f, 1e-8f,
                0f, 0f);
        LoraAdapter previous = model.adapter();
        model.attach(adapter);
        adapter.training(true, settings.seed());
        try {
            int[] step = {0};
            OnePass.run(perQuestion, settings.batch(), checkpoints, batch -> step(adam, ++step[0], batch),
                    n -> snapshot.accept(n, adapter.values()));
            return adapter;
        } finally {
            adapter.training(false, 0);
            model.attach(previous);
        }
    }

    private void step(AdamW adam, int step, List<Example> examples) {
        double loss = lossAndGradient(model, tokenizer, examples);
        if (!Double.isFinite(loss)) {
            throw new UserError("the head's training loss became " + loss + " at step " + step
                    + "; lower the learning rate");
        }
        adam.step(step, (float) settings.lr());
    }
}
