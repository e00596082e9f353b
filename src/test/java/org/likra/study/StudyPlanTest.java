package org.likra.study;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.likra.experiment.HeadRecipe;
import org.likra.lora.LoraConfig;
import org.likra.util.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading a study plan: defaults, one-line errors naming the file and the field, canonical JSON. */
class StudyPlanTest {
    @TempDir
    Path dir;

    private Path write(String name, String json) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, json);
        return f;
    }

    /** A plan with {@code extra} fields added to a minimal valid one. */
    private Path plan(String extra) throws Exception {
        return write("plan.json", "{\n  \"bases\": [{\"model\": \"llama-tiny\"}]" + (extra.isEmpty() ? "" : ",\n  "
                + extra) + "\n}\n");
    }

    /** Reading {@code file} fails with one line naming the file and the field. */
    private String rejects(Path file, String field) {
        UserError e = assertThrows(UserError.class, () -> StudyPlan.read(file));
        String m = e.getMessage();
        assertTrue(m.startsWith(file.toString()), () -> "does not name the file: " + m);
        assertTrue(m.contains(field), () -> "does not name the field '" + field + "': " + m);
        assertFalse(m.contains("\n"), () -> "not one line: " + m);
        return m;
    }

    @Test
    void aPlanWithOnlyBasesGetsEveryDefault() throws Exception {
        StudyPlan p = StudyPlan.read(plan(""));
        assertEquals("study", p.name());
        assertEquals("", p.description());
        assertEquals("study", p.world().preset());
        assertEquals(1L, p.world().seed());
        assertEquals("bpe:1024", p.tokenizer());
        assertEquals(16, p.pretrain().batch());
        assertEquals(128, p.pretrain().seq());
        assertEquals(3e-3, p.pretrain().lr());
        assertEquals(100, p.pretrain().warmup());
        assertEquals(0.05, p.pretrain().valFraction());
        assertEquals(1, p.bases().size());
        StudyPlan.Base b = p.bases().get(0);
        assertEquals("llama-tiny", b.model());
        assertEquals(List.of(1L), b.seeds());
        assertEquals(2000, b.steps());
        assertEquals(null, b.lr());
        assertFalse(b.ablations());
        assertEquals(List.of(1L, 2L, 3L), p.heads().seeds());
        assertEquals(8, p.heads().rank());
        assertEquals(LoraConfig.MLP, p.heads().targets());
        assertEquals("linear", p.heads().schedule());
        assertEquals(List.of(1e-3, 3e-3, 1e-2), p.heads().lr());
        assertEquals(List.of(1, 3), p.heads().epochs());
        // Every other part of a head's recipe is HeadRecipe.DEFAULT's, the one `train` and `curve` use.
        assertEquals(HeadRecipe.DEFAULT, p.heads().recipe(HeadRecipe.DEFAULT.lr(), HeadRecipe.DEFAULT.epochs()));
        assertEquals(List.of(32, 64, 128, 256, 512, 1024), p.ns());
        assertEquals(new StudyPlan.Arm("main", "all", 1, 0.0), p.main());
        assertEquals(List.of(), p.arms());
        assertEquals(List.of(), p.dpo());
        assertEquals(List.of(0.0, 0.5, 1.0, 2.0), p.negativeWeights());
        assertEquals(0, p.maxTest());
        assertEquals(2000, p.bootstrap());
    }

    @Test
    void anArmOrDpoBaselineGetsItsDefaults() throws Exception {
        StudyPlan p = StudyPlan.read(plan("\"arms\": [{\"negatives\": \"tag:far\"}], \"dpo\": [{}]"));
        // An unnamed arm is named after its negatives, in the characters an arm name may use.
        assertEquals(new StudyPlan.Arm("tag-far", "tag:far", 1, 0.0), p.arms().get(0));
        StudyPlan.Dpo d = p.dpo().get(0);
        assertEquals("dpo", d.name());
        assertEquals(0.1, d.beta());
        assertFalse(d.ablation());
    }

    @Test
    void aMisspeltFieldNamesTheFileLineColumnAndField() throws Exception {
        Path f = write("typo.json", """
                {
                  "name": "t",
                  "bases": [{"model": "llama-tiny", "seedz": [1, 2]}]
                }
                """);
        String m = rejects(f, "seedz");
        assertTrue(m.startsWith(f + ":3:37: "), () -> "not the field's line:column: " + m);
        assertTrue(m.contains("bases[0].seedz"), m);
    }

    @Test
    void aMisspeltTopLevelFieldIsRefused() throws Exception {
        // The line and column of the field itself, not of the end of its object.
        String m = rejects(plan("\"bootstrapp\": 500"), "bootstrapp");
        assertTrue(m.contains(":3:3: "), m);
    }

    @Test
    void anUnknownModelPresetNamesTheField() throws Exception {
        rejects(write("p.json", "{\"bases\": [{\"model\": \"no-such-model\"}]}"), "bases");
    }

    @Test
    void aBadTokenizerNamesTheField() throws Exception {
        String m = rejects(plan("\"tokenizer\": \"bpe\""), "tokenizer");
        assertTrue(m.contains("'bpe'"), m);
        rejects(plan("\"tokenizer\": \"gpt2\""), "tokenizer");
    }

    @Test
    void nsMustIncrease() throws Exception {
        rejects(plan("\"ns\": [32, 16]"), "ns");
        rejects(plan("\"ns\": [16, 16]"), "ns");
        rejects(plan("\"ns\": [0, 16]"), "ns");
        StudyPlan.read(plan("\"ns\": [8, 16]"));
    }

    @Test
    void armNamesMustBeUnique() throws Exception {
        String m = rejects(plan("\"arms\": [{\"name\": \"x\", \"negatives\": \"tag:far\"}, "
                + "{\"name\": \"x\", \"negatives\": \"tag:near-miss\"}]"), "arms");
        assertTrue(m.contains("'x'"), m);
        // The main arm's name counts too.
        rejects(plan("\"arms\": [{\"name\": \"main\", \"negatives\": \"first\"}]"), "arms");
    }

    @Test
    void anUnknownNegativeStrategyNamesTheField() throws Exception {
        String m = rejects(plan("\"arms\": [{\"name\": \"x\", \"negatives\": \"tag:nearmiss\"}]"), "arms");
        assertTrue(m.contains("tag:nearmiss"), m);
        rejects(plan("\"main\": {\"negatives\": \"everything\"}"), "main");
        rejects(plan("\"dpo\": [{\"negatives\": \"nope\"}]"), "dpo");
    }

    @Test
    void contaminationMustBeAProbability() throws Exception {
        String m = rejects(plan("\"arms\": [{\"name\": \"c\", \"negatives\": \"all\", \"contamination\": 2}]"),
                "arms");
        assertTrue(m.contains("contamination"), m);
        StudyPlan.read(plan("\"arms\": [{\"name\": \"c\", \"negatives\": \"all\", \"contamination\": 1}]"));
    }

    @Test
    void badHeadSettingsNameTheField() throws Exception {
        rejects(plan("\"heads\": {\"lr\": [-1e-3]}"), "heads");
        rejects(plan("\"heads\": {\"schedule\": \"step\"}"), "heads");
        rejects(plan("\"heads\": {\"seeds\": []}"), "heads");
        rejects(plan("\"dpo\": [{\"beta\": 0}]"), "dpo");
        rejects(write("nomodel.json", "{\"bases\": [{\"seeds\": [1]}]}"), "bases");
        rejects(plan("\"bootstrap\": 10"), "bootstrap");
        rejects(plan("\"maxTest\": -1"), "maxTest");
        rejects(write("none.json", "{\"bases\": []}"), "bases");
    }

    @Test
    void aBaseListedTwiceIsRefused() throws Exception {
        rejects(write("twice.json", "{\"bases\": [{\"model\": \"llama-tiny\", \"seeds\": [1]}, "
                + "{\"model\": \"llama-tiny\", \"seeds\": [2, 1]}]}"), "llama-tiny-s1");
    }

    @Test
    void aMissingOrEmptyFileIsOneLine() throws Exception {
        rejects(dir.resolve("absent.json"), "no such plan file");
        rejects(write("empty.json", ""), "");
    }

    @Test
    void toJsonRoundTripsToAnEqualPlan() throws Exception {
        StudyPlan p = StudyPlan.read(write("full.json", """
                {
                  "name": "rt", "description": "round trip",
                  "world": {"preset": "demo", "seed": 7},
                  "tokenizer": "bpe:300",
                  "pretrain": {"batch": 4, "lr": 1e-2},
                  "bases": [{"model": "llama-tiny", "seeds": [1, 2], "steps": 30, "lr": 5e-3, "ablations": true}],
                  "heads": {"seeds": [1, 2], "lr": [1e-2], "epochs": [1], "schedule": "cosine"},
                  "ns": [8, 16],
                  "arms": [{"name": "near-miss", "negatives": "tag:near-miss", "contamination": 0.25}],
                  "dpo": [{"name": "dpo"}, {"name": "d2", "rank": 16, "lr": 5e-5, "negatives": "random",
                           "ablation": true}],
                  "negativeWeights": [0, 1],
                  "maxTest": 24,
                  "bootstrap": 200
                }
                """));
        String json = p.toJson();
        StudyPlan back = StudyPlan.read(write("back.json", json));
        assertEquals(p, back);
        assertEquals(json, back.toJson(), "canonical JSON is a fixed point");
        // Defaults are written out, so the saved plan does not depend on the code's defaults.
        StudyPlan minimal = StudyPlan.read(plan(""));
        assertTrue(minimal.toJson().contains("\"negativeWeights\""), minimal.toJson());
        assertEquals(minimal, StudyPlan.read(write("back2.json", minimal.toJson())));
    }

    @Test
    void theStudiesFolderPlansAreValidAndTheDemoRunsStudiesDemoJson() throws Exception {
        for (String name : List.of("smoke", "demo", "main")) {
            StudyPlan.read(Path.of("studies", name + ".json"));
        }
        try (var in = StudyPlanTest.class.getResourceAsStream("/org/likra/study/demo.json")) {
            assertEquals(Files.readString(Path.of("studies", "demo.json")),
                    new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8),
                    "the demo's built-in plan is a copy of studies/demo.json");
        }
    }
}
