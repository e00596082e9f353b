package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.lora.LoraAdapter;
import org.likra.model.Transformer;
import org.likra.tokenize.Tokenizer;

import java.util.ArrayList;
import java.util.List;

/** log p(answer | prompt), summed over the answer's tokens, of every choice of a question under one model state. */
public final class AnswerLikelihood {
    private final Transformer model;
    private final Tokenizer tokenizer;
    private final PromptFormat format;

    public AnswerLikelihood(Transformer model, Tokenizer tokenizer, PromptFormat format) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.format = format;
    }

    public PromptFormat format() {
        return format;
    }

    /** One value per choice, computed with {@code adapter} attached (null: the base model). */
    public double[] choices(MultipleChoiceQuestion q, LoraAdapter adapter) {
        List<Example> rows = new ArrayList<>();
        String prompt = format.prompt(q);
        for (String choice : q.choices()) {
            rows.add(new Example(prompt, format.answer(choice)));
        }
        return sequences(rows, adapter);
    }

    /** log p(answer | prompt) of each example, with {@code adapter} attached (null: the base model). */
    public double[] sequences(List<Example> rows, LoraAdapter adapter) {
        LoraAdapter previous = model.adapter();
        model.attach(adapter);
        try {
            SequenceBatch b = SequenceBatch.of(rows, tokenizer, model.config().context());
            model.setInputs(b.inputs, b.targets, null, b.batch, b.time);
            model.forward();
            return b.answerLogProbabilities(model.positionLosses());
        } finally {
            model.attach(previous);
        }
    }
}
