package org.likra.engine.tornado;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.likra.config.ModelConfig;
import org.likra.config.Presets;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Engine;
import org.likra.engine.EngineConformanceTest;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;
import org.likra.engines.Engines;
import org.likra.model.Initializer;
import org.likra.model.Transformer;
import org.likra.train.AdamW;
import org.likra.util.UserError;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Validation of the tornado engine (llm.c kernel-test style): every operation against the float32 reference engine
 * on fresh random inputs of several shapes, including sizes that are not multiples of the matrix-product tile (16)
 * and views at odd offsets. Each output tensor is compared by its relative error ||tornado - ref|| / ||ref|| (L2
 * over the whole tensor) against a tolerance stated per operation: 1e-5 for elementwise operations, 1e-4 for
 * reductions, matrix products and attention (float accumulation in another order than the reference's double
 * accumulation). Backward operations start from random gradients, so that accumulation (+=) is checked, and run
 * with null gradients too. Then the whole model: loss and all gradients of one step (llama-tiny and a GPT-2-style
 * configuration), and ten AdamW steps of training.
 *
 * <p>The engine comes from {@code Engines.create("tornado", 0, F32)}; where TornadoVM is absent (the default build)
 * every test is skipped with the reason. Run them with TornadoVM: {@code mvn -Ptornado test -Dtest=TornadoEngineTest}
 * with TORNADOVM_HOME set (docs/tornadovm.md).
 */
class TornadoEngineTest extends EngineConformanceTest {
    private static Engine TORNADO;
    private static String absent;

    /** The engines the inherited checks run on: TORNADO, or another one while a test swaps it in. */
    private Engine[] underTest;

    /**
     * The engine under test runs the forms a GPU runs by default, whatever the device (on PoCL they would otherwise
     * not run at all): the row operations one work-group per row with per-block column sums, attention's forward pass
     * in tiles of query rows, and the register-blocked matrix product with slices 32 deep.
     * {@link #cpuFormsInLinearOperationsAndWholeModels} checks the forms a CPU device (PoCL) runs by default.
     */
    @BeforeAll
    static void createEngine() {
        try {
            TORNADO = createWith("likra.tornado.rows", "groups", "likra.tornado.depth", "32");
        } catch (UserError e) {
            absent = e.getMessage();
        }
    }

    /** A tornado engine created with the given system properties (name, value, ...) set, then cleared. */
    private static Engine createWith(String... properties) {
        for (int i = 0; i < properties.length; i += 2) {
            System.setProperty(properties[i], properties[i + 1]);
        }
        try {
            return Engines.create("tornado", 0, Precision.F32);
        } finally {
            for (int i = 0; i < properties.length; i += 2) {
                System.clearProperty(properties[i]);
            }
        }
    }

    @org.junit.jupiter.api.BeforeEach
    void needTornado() {
        assumeTrue(TORNADO != null, () -> "TornadoVM is absent, skipping: " + absent);
    }

    @Override
    protected Engine[] engines() {
        return underTest != null ? underTest : new Engine[] {TORNADO};
    }

    @AfterAll
    static void closeEngine() {
        if (TORNADO != null) {
            TORNADO.close();
        }
    }

    /** A region of 40 dependent operations (longer than one task graph may be, see TornadoEngine) stays exact. */
    @Test
    void longRegion() {
        float[] x = randn(1000), y = randn(1000);
        check("region of 40 operations", ELEMENTWISE, e -> {
            Tensor a = view(e, x), b = view(e, y), c = e.allocate(1000);
            e.beginRegion("long");
            for (int i = 0; i < 20; i++) {
                e.add(c, a, b, 1000);
                e.accumulate(a, c, 0.25f, 1000);
            }
            e.endRegion();
            return new float[][] {get(e, a), get(e, c)};
        });
    }

    /** A region of 30 operations over 31 distinct arrays stays exact. */
    @Test
    void wideRegion() {
        float[][] xs = new float[31][];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = randn(500);
        }
        check("region over 31 arrays", ELEMENTWISE, e -> {
            Tensor[] ts = new Tensor[xs.length];
            for (int i = 0; i < xs.length; i++) {
                ts[i] = view(e, xs[i]);
            }
            e.beginRegion("wide");
            for (int i = 1; i < xs.length; i++) {
                e.accumulate(ts[i], ts[i - 1], 0.5f, 500);
            }
            e.endRegion();
            return new float[][] {get(e, ts[xs.length - 1]), get(e, ts[15])};
        });
    }

    /**
     * LayerNorm's weight and bias gradients as two views of one buffer, as a model's gradient buffer holds them. A
     * kernel that took both as parameters of one task (one array twice) stalled TornadoVM's graph compiler for
     * tens of minutes; the column sums finish each in a task of its own.
     */
    @Test
    void layerNormGradientsInOneBuffer() {
        int n = 70, c = 33;
        float[] x = randn(n * c), w = randn(c), bias = randn(c), dOut = randn(n * c), grads = randn(2 * c + 5);
        check("layernorm gradients in one buffer", REDUCTION, e -> {
            Tensor out = e.allocate(n * c), mean = e.allocate(n), rstd = e.allocate(n);
            Tensor xt = view(e, x), wt = view(e, w), buffer = view(e, grads);
            e.layerNormForward(out, mean, rstd, xt, wt, view(e, bias), n, c, 1e-5f);
            e.beginRegion("layerNormGradients");
            e.layerNormBackward(null, buffer.view(1, c), buffer.view(c + 3, c), view(e, dOut), xt, wt, mean, rstd,
                    n, c);
            e.endRegion();
            return new float[][] {get(e, buffer)};
        });
    }

    /**
     * The forms a CPU device runs by default: one thread per row for the norms, their column sums, the
     * cross-entropy and attention's forward pass ({@code likra.tornado.rows=threads}) and the register-blocked matrix
     * product with slices 128 deep ({@code likra.tornado.depth=128}), in the linear operations' and attention's
     * checks and both whole models; every other check runs the GPU forms (work-group rows, attention in tiles of
     * query rows, products with slices 32 deep).
     */
    @Test
    void cpuFormsInLinearOperationsAndWholeModels() {
        Engine cpuForms = createWith("likra.tornado.rows", "threads", "likra.tornado.depth", "128");
        underTest = new Engine[] {cpuForms};
        try {
            linearForward();
            linearForwardQkv();
            linearBackwardQkv();
            linearGeluForward();
            linearBackward();
            attention();
            llamaTinyModel();
            gpt2StyleModel();
        } finally {
            underTest = null;
            cpuForms.close();
        }
    }

    /** Ten AdamW steps of llama-tiny on fixed data: the loss of every step and the final parameters. */
    @Test
    void tenAdamWSteps() {
        ModelConfig config = Presets.load("llama-tiny");
        int batch = 2, time = 16;
        int[] tokens = ids(batch * time, config.vocab());
        int[] targets = ids(batch * time, config.vocab());
        check("ten AdamW steps", 1e-3, e -> {
            Transformer model = new Transformer(config, e);
            Initializer.initialize(model, 11);
            AdamW adam = AdamW.of(model, AdamWSettings.PRETRAINING);
            float[] losses = new float[10];
            for (int step = 1; step <= 10; step++) {
                model.setInputs(tokens, targets, null, batch, time);
                model.forward();
                model.backward();
                adam.step(step, 1e-3f);
                losses[step - 1] = (float) model.loss();
            }
            return new float[][] {losses, get(e, model.parameters())};
        });
    }

    /**
     * Residency: six AdamW steps of llama-tiny give bit-identical losses and final parameters with the resident plan
     * (built after the second step) and with copying graphs only ({@code -Dlikra.tornado.resident=false}); once the
     * plan runs, a step copies to the device only the inputs (tokens, targets, loss weights) and AdamW's
     * hyper-parameter array, and back only the loss.
     */
    @Test
    void residentTrainingMatchesCopyingGraphs() {
        ModelConfig config = Presets.load("llama-tiny");
        int batch = 2, time = 16, steps = 6;
        int[] tokens = ids(batch * time, config.vocab());
        int[] targets = ids(batch * time, config.vocab());
        Engine copying = createWith("likra.tornado.resident", "false", "likra.tornado.rows", "groups",
                "likra.tornado.depth", "32");
        long[][] copyingBytes = new long[steps][];
        long[][] residentBytes = new long[steps][];
        float[][] expected;
        try {
            expected = train(copying, config, tokens, targets, batch, time, steps, copyingBytes);
        } finally {
            copying.close();
        }
        float[][] got = train(TORNADO, config, tokens, targets, batch, time, steps, residentBytes);
        assertArrayEquals(expected[0], got[0], "losses");
        assertArrayEquals(expected[1], got[1], "final parameters");

        int n = batch * time;
        long inputs = 3L * 4 * n + 4 * 8; // tokens, targets, loss weights; AdamW's hyper-parameter array
        long parameterBytes = 4L * got[1].length;
        for (int s = steps - 2; s < steps; s++) {
            assertEquals(inputs, residentBytes[s][0], "bytes to the device in resident step " + (s + 1));
            assertEquals(4, residentBytes[s][1], "bytes back in resident step " + (s + 1) + " (the loss)");
            assertTrue(copyingBytes[s][0] > 2 * parameterBytes,
                    "copying step " + (s + 1) + " moves the parameters more than twice: " + copyingBytes[s][0]);
        }
    }

    /** AdamW training that records each step's loss and bytes moved ({hostToDevice, deviceToHost}). */
    private static float[][] train(Engine e, ModelConfig config, int[] tokens, int[] targets, int batch, int time,
                                   int steps, long[][] bytesPerStep) {
        Transformer model = new Transformer(config, e);
        Initializer.initialize(model, 5);
        AdamW adam = AdamW.of(model, AdamWSettings.PRETRAINING);
        float[] losses = new float[steps];
        for (int step = 1; step <= steps; step++) {
            Map<String, Long> before = e.counters();
            model.setInputs(tokens, targets, null, batch, time);
            model.forward();
            model.backward();
            adam.step(step, 1e-3f);
            losses[step - 1] = (float) model.loss();
            Map<String, Long> after = e.counters();
            bytesPerStep[step - 1] = new long[] {
                    after.get("hostToDeviceBytes") - before.get("hostToDeviceBytes"),
                    after.get("deviceToHostBytes") - before.get("deviceToHostBytes")};
        }
        return new float[][] {losses, get(e, model.parameters())};
    }
}
