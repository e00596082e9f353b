package org.likra.cli;

import org.likra.experiment.HeadRecipe;
import org.likra.experiment.NegativeSelection;
import org.likra.experiment.NegativeStrategy;
import org.likra.experiment.PromptFormat;
import org.likra.lora.LoraConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.List;

/**
 * The heads' recipe, negative-selection and prompt options shared by train and curve. Their defaults are
 * {@link HeadRecipe#DEFAULT}, the recipe the demo study trains with, and the demo's main arm (all wrong answers as
 * negatives).
 */
public final class HeadOptions {
    @Option(names = "--rank", defaultValue = "" + HeadRecipe.DEFAULT_RANK, converter = OptionChecks.Positive.class,
            description = "LoRA rank (at most the adapted projections' smaller dimension). Default: ${DEFAULT-VALUE}.")
    int rank;
    @Option(names = "--alpha", defaultValue = "" + HeadRecipe.DEFAULT_ALPHA,
            converter = OptionChecks.PositiveReal.class,
            description = "LoRA alpha (the update is scaled by alpha/rank). Default: ${DEFAULT-VALUE}.")
    double alpha;
    @Option(names = "--targets", defaultValue = HeadRecipe.DEFAULT_TARGETS, split = ",",
            converter = OptionChecks.Target.class,
            description = "Adapted projections, comma-separated, of q_proj, k_proj, v_proj, o_proj, gate_proj, "
                    + "up_proj, down_proj. Default: ${DEFAULT-VALUE}.")
    List<String> targets;
    @Option(names = "--lora-dropout", defaultValue = "0", converter = OptionChecks.Dropout.class,
            description = "Dropout on the adapters' input while training (PEFT's lora_dropout), within [0, 1). "
                    + "Default: ${DEFAULT-VALUE}.")
    double loraDropout;
    @Option(names = "--lr", defaultValue = "" + HeadRecipe.DEFAULT_LR, converter = OptionChecks.PositiveReal.class,
            description = "The heads' peak learning rate. Default: ${DEFAULT-VALUE}.")
    double lr;
    @Option(names = "--schedule", defaultValue = HeadRecipe.DEFAULT_SCHEDULE, converter = OptionChecks.Schedule.class,
            description = "Learning-rate schedule over all updates: constant, linear (to 0) or cosine (to 0). "
                    + "Default: ${DEFAULT-VALUE}.")
    String schedule;
    @Option(names = "--epochs", defaultValue = "" + HeadRecipe.DEFAULT_EPOCHS, converter = OptionChecks.Epochs.class,
            description = "Passes over the training examples, each in a new random order (1..100). "
                    + "Default: ${DEFAULT-VALUE}.")
    int epochs;
    @Option(names = "--batch", defaultValue = "" + HeadRecipe.DEFAULT_BATCH, converter = OptionChecks.HeadBatch.class,
            description = "Examples per update (1..4096). Default: ${DEFAULT-VALUE}.")
    int batch;
    @Option(names = "--grad-clip", defaultValue = "" + HeadRecipe.DEFAULT_GRAD_CLIP,
            converter = OptionChecks.NonNegativeReal.class,
            description = "Clip the global gradient norm to this (0: no clipping). Default: ${DEFAULT-VALUE}.")
    double gradClip;
    @Option(names = "--negatives", defaultValue = "all", converter = OptionChecks.Negatives.class,
            description = "Which wrong answers the negative head (and DPO) trains on: all, first, near-miss, far, "
                    + "random-other, random, tag:near-miss, tag:far or tag:misconception (docs/likra.md). "
                    + "Default: ${DEFAULT-VALUE}.")
    NegativeStrategy negatives;
    @Option(names = "--negatives-per-question", defaultValue = "1", converter = OptionChecks.PerQuestion.class,
            description = "Negatives per question (1..16; all takes every wrong answer). Default: ${DEFAULT-VALUE}.")
    int negativesPerQuestion;
    @Option(names = "--contamination", defaultValue = "0", converter = OptionChecks.Fraction.class,
            description = "Fraction of negatives swapped for the correct answer, within [0, 1]. "
                    + "Default: ${DEFAULT-VALUE}.")
    double contamination;
    @Option(names = "--dpo-beta", defaultValue = "" + HeadRecipe.DEFAULT_DPO_BETA,
            converter = OptionChecks.PositiveReal.class,
            description = "DPO's beta (the strength of its pull away from the base model). Default: ${DEFAULT-VALUE}.")
    double dpoBeta;
    @Option(names = "--dpo-lr", converter = OptionChecks.PositiveReal.class,
            description = "DPO's peak learning rate. Default: --lr.")
    Double dpoLr;
    @Mixin
    PromptOptions prompt;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the question order, the adapters' "
            + "initialisation and order of examples, and random negatives. Default: ${DEFAULT-VALUE}.")
    long seed;

    /** The recipe of the positive and negative heads. */
    HeadRecipe recipe() {
        return new HeadRecipe(new LoraConfig(rank, alpha, targets, loraDropout), lr, schedule, epochs, batch, gradClip,
                dpoBeta);
    }

    /** The recipe of a DPO head: the heads' with DPO's learning rate. */
    HeadRecipe dpoRecipe() {
        return recipe().with(dpoLr == null ? lr : dpoLr, epochs);
    }

    NegativeStrategy negativeStrategy() {
        return negatives;
    }

    /** The negatives the negative head and DPO train on. */
    NegativeSelection negativeSelection() {
        return new NegativeSelection(negatives, negativesPerQuestion, contamination);
    }

    PromptFormat format() {
        return prompt.format();
    }
}
