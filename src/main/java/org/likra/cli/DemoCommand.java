package org.likra.cli;

import org.likra.engines.Engines;
import org.likra.study.StudyLayout;
import org.likra.study.StudyPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The Likra study at demo size, end to end: generate the synthetic world (facts stated in "
                + "narrative form, question/answer text about other entities, plausible wrong beliefs), pretrain a "
                + "small base model on its corpus, choose the heads' learning rate on the validation split, train "
                + "positive, negative and DPO heads from several seeds at several N, and write the report (verdict "
                + "table, curves with 95%% bands, paired tests).",
                "The plan is studies/demo.json's (built in). Everything goes into --out; a second run reuses every "
                        + "finished cell, and an interrupted one resumes."})
public final class DemoCommand implements Callable<Integer> {
    /** The demo's plan, a copy of studies/demo.json. */
    static final String PLAN = "/org/likra/study/demo.json";

    @Option(names = "--out", defaultValue = "runs/demo", description = "Output folder. Default: ${DEFAULT-VALUE}.")
    Path out;
    @Option(names = "--workers", defaultValue = "1", converter = OptionChecks.Workers.class,
            description = "Cells run at once (1..64). Default: ${DEFAULT-VALUE}.")
    int workers;
    @Option(names = "--model", description = "Base model preset instead of the plan's (e.g. llama-tiny for a quick "
            + "check). Default: the plan's, study-1m.")
    String model;
    @Option(names = "--pretrain-steps", converter = OptionChecks.Positive.class,
            description = "Pretraining steps instead of the plan's. Default: the plan's.")
    Integer pretrainSteps;
    @Option(names = "--max-test", converter = OptionChecks.NonNegative.class,
            description = "Score at most this many test questions (0: all). Default: the plan's (all).")
    Integer maxTest;
    @Option(names = "--max-train", converter = OptionChecks.NonNegative.class,
            description = "Use at most this many training and validation questions each (0: all). Default: the "
                    + "plan's (all).")
    Integer maxTrain;
    @Option(names = "--engine", defaultValue = Engines.DEFAULT, converter = OptionChecks.Engine.class,
            description = "Engine: reference, cpu or tornado. Default: ${DEFAULT-VALUE}.")
    String engine;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        StudyPlan plan = plan();
        int code = StudyCommand.runAndReport(plan, out, workers, new int[] {0, 1}, engine, true, "run the demo again");
        if (code != 0) {
            return code;
        }
        System.out.printf("demo finished in %.1f minutes; the plots are %s/report/curves-%s.png and the others in "
                + "that folder%n", (System.nanoTime() - start) / 60e9, out, plan.bases().get(0).model());
        String base = StudyPlan.baseId(plan.bases().get(0), plan.bases().get(0).seeds().get(0));
        StudyLayout layout = new StudyLayout(out);
        if (Files.isDirectory(layout.heads(base).resolve("negative"))) {
            System.out.printf("its heads (head seed %d, N = all training questions) score the test questions with%n"
                    + "  likra eval --model %s --heads %s --data %s%n", plan.heads().seeds().get(0),
                    layout.baseModel(base), layout.heads(base), layout.world().resolve("test.jsonl"));
        }
        return 0;
    }

    /** The built-in plan with this command's overrides. */
    StudyPlan plan() throws java.io.IOException {
        StudyPlan p;
        try (var in = DemoCommand.class.getResourceAsStream(PLAN)) {
            p = StudyPlan.JSON_READER.readValue(in, StudyPlan.class);
        }
        if (model != null || pretrainSteps != null) {
            StudyPlan.Base b = p.bases().get(0);
            p = p.withBases(List.of(new StudyPlan.Base(model == null ? b.model() : model, b.seeds(),
                    pretrainSteps == null ? b.steps() : pretrainSteps, b.lr(), b.ablations())));
        }
        p = p.withCaps(maxTest == null ? p.maxTest() : maxTest, maxTrain == null ? p.maxTrain() : maxTrain);
        return p.validate("the demo's plan");
    }
}
