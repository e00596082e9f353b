package org.likra.experiment;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.util.UserError;

/**
 * How a question and an answer become text: the paper's {@code "\n\nQuestion: {question}\nAnswer:"} followed by
 * {@code " {answer}"}. Only the answer's tokens are scored and trained on.
 */
public record PromptFormat(String questionTemplate, String answerTemplate) {
    /** The paper's question template. */
    public static final String PAPER_QUESTION = "\n\nQuestion: {question}\nAnswer:";
    /** The paper's answer template. */
    public static final String PAPER_ANSWER = " {answer}";
    public static final PromptFormat PAPER = new PromptFormat(PAPER_QUESTION, PAPER_ANSWER);

    public PromptFormat {
        if (!questionTemplate.contains("{question}")) {
            throw new UserError("the question template must contain {question}: " + questionTemplate);
        }
        if (!answerTemplate.contains("{answer}")) {
            throw new UserError("the answer template must contain {answer}: " + answerTemplate);
        }
    }

    public String prompt(MultipleChoiceQuestion q) {
        return questionTemplate.replace("{question}", q.question());
    }

    public String answer(String answerText) {
        return answerTemplate.replace("{answer}", answerText);
    }
}
