package org.likra.cli;

import org.likra.experiment.NegativeStrategy;
import org.likra.experiment.PromptFormat;
import org.likra.lora.LoraConfig;
import picocli.CommandLine.Option;

import java.util.List;

/** LoRA, optimiser, negative-selection and prompt options shared by train and curve. */
public final class HeadOptions {
    @Option(names = "--rank", defaultValue = "8", description = "LoRA rank. Default: ${DEFAULT-VALUE}.")
    int rank;
    @Option(names = "--alpha", defaultValue = "8", description = "LoRA alpha (scale alpha/rank). Default: "
            + "${DEFAULT-VALUE}.")
    double alpha;
    @Option(names = "--targets", defaultValue = "gate_proj,up_proj,down_proj", split = ",",
            description = "Adapted projections (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj). "
                    + "Default: ${DEFAULT-VALUE}.")
    List<String> targets;
    @Option(names = "--lora-dropout", defaultValue = "0",
            description = "Dropout on the adapters' input while training (PEFT's lora_dropout). Default: "
                    + "${DEFAULT-VALUE}.")
    double loraDropout;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Heads' constant learning rate. Default: "
            + "${DEFAULT-VALUE}.")
    double lr;
    @Option(names = "--batch", defaultValue = "32", description = "Examples per update. Default: ${DEFAULT-VALUE}.")
    int batch;
    @Option(names = "--negatives", defaultValue = "first",
            description = "first, all, near-miss, far or random-other. Default: ${DEFAULT-VALUE}.")
    String negatives;
    @Option(names = "--negatives-per-question", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
    int negativesPerQuestion;
    @Option(names = "--contamination", defaultValue = "0",
            description = "Fraction of negatives swapped for the correct answer. Default: ${DEFAULT-VALUE}.")
    double contamination;
    @Option(names = "--dpo-beta", defaultValue = "0.1", description = "Default: ${DEFAULT-VALUE}.")
    double dpoBeta;
    @Option(names = "--dpo-lr", description = "DPO's learning rate. Default: --lr.")
    Double dpoLr;
    @Option(names = "--question-template", defaultValue = "\n\nQuestion: {question}\nAnswer:",
            description = "Prompt template (default: the paper's).")
    String questionTemplate;
    @Option(names = "--answer-template", defaultValue = " {answer}", description = "Answer template.")
    String answerTemplate;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of question order, adapter initialisation "
            + "and random negatives. Default: ${DEFAULT-VALUE}.")
    long seed;

    LoraConfig lora() {
        return new LoraConfig(rank, alpha, targets, loraDropout);
    }

    NegativeStrategy negativeStrategy() {
        return NegativeStrategy.parse(negatives);
    }

    PromptFormat format() {
        return new PromptFormat(questionTemplate, answerTemplate);
    }

    double dpoLearningRate() {
        return dpoLr == null ? lr : dpoLr;
    }
}
