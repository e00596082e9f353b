package org.likra.cli;

import org.likra.experiment.PromptFormat;
import picocli.CommandLine.Option;

/** The prompt templates of the commands that score or train on questions (train, curve, eval). */
public final class PromptOptions {
    @Option(names = "--question-template", defaultValue = PromptFormat.PAPER_QUESTION,
            description = "Prompt template; {question} is replaced by the question. Default: the paper's, "
                    + "\"\\n\\nQuestion: {question}\\nAnswer:\".")
    String questionTemplate;
    @Option(names = "--answer-template", defaultValue = PromptFormat.PAPER_ANSWER,
            description = "Answer template; {answer} is replaced by a choice. Default: \" {answer}\".")
    String answerTemplate;

    PromptFormat format() {
        return new PromptFormat(questionTemplate, answerTemplate);
    }
}
