package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.lora.LoraAdapter;
import org.likra.model.Adapter;
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

    /**
     * The choices' values of many questions, scoring up to {@code rowsPerBatch} choices in one forward pass.
     */
    public List<double[]> choices(List<MultipleChoiceQuestion> questions, LoraAdapter adapter, int rowsPerBatch,
                                  Runnable onQuestion) {
        List<double[]> out = new ArrayList<>(questions.size());
        List<Example> rows = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            MultipleChoiceQuestion q = questions.get(i);
            String prompt = format.prompt(q);
            for (String choice : q.choices()) {
                rows.add(new Example(prompt, format.answer(choice)));
            }
            sizes.add(q.choiceCount());
            boolean last = i == questions.size() - 1;
            if (last || rows.size() + questions.get(i + 1).choiceCount() > rowsPerBatch) {
                double[] values = sequences(rows, adapter);
                int at = 0;
                for (int size : sizes) {
                    out.add(java.util.Arrays.copyOfRange(values, at, at + size));
                    at += size;
                    onQuestion.run();
                }
                rows.clear();
                sizes.clear();
            }
        }
        return out;
    }

    /**
     * {@code scores} (one array per question, as {@link #choices(List, LoraAdapter, int, Runnable)} returns), or a
     * UserError naming the first question and choice whose score is NaN or infinite, which no prediction can be
     * made from; {@code scorer} names the model state (e.g. "the base model").
     */
    public static List<double[]> requireFinite(List<MultipleChoiceQuestion> questions, List<double[]> scores,
                                               String scorer) {
        for (int i = 0; i < scores.size(); i++) {
            double[] s = scores.get(i);
            for (int c = 0; c < s.length; c++) {
                if (!Double.isFinite(s[c])) {
                    throw new org.likra.util.UserError("question " + questions.get(i).id() + ", choice " + c
                            + ": the log-likelihood under " + scorer + " is " + s[c] + " (its outputs overflow); "
                            + "use another model or an earlier checkpoint");
                }
            }
        }
        return scores;
    }

    /** log p(answer | prompt) of each example, with {@code adapter} attached (null: the base model). */
    public double[] sequences(List<Example> rows, LoraAdapter adapter) {
        Adapter previous = model.adapter();
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
