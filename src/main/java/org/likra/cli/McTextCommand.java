package org.likra.cli;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.data.QuestionSets;
import org.likra.experiment.PromptFormat;
import org.likra.util.AtomicFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "mc-text", mixinStandardHelpOptions = true,
        description = "Write multiple-choice questions with their correct answers as plain text (the prompt format "
                + "followed by the answer), e.g. to build a pretraining corpus from question banks.")
public final class McTextCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", description = "Question files or MMLU folders.")
    List<Path> inputs;
    @Option(names = "--out", required = true, description = "Text file to write.")
    Path out;

    @Override
    public Integer call() throws Exception {
        StringBuilder text = new StringBuilder();
        int count = 0;
        for (Path input : inputs) {
            for (MultipleChoiceQuestion q : QuestionSets.load(input)) {
                text.append(PromptFormat.PAPER.prompt(q)).append(PromptFormat.PAPER.answer(q.correctChoice()));
                count++;
            }
        }
        text.append('\n');
        AtomicFiles.writeString(out, text.toString());
        System.out.printf("wrote %,d questions (%,d characters) to %s%n", count, text.length(), out);
        return 0;
    }
}
