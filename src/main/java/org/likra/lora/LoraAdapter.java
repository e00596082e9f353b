package org.likra.lora;

import org.likra.engine.Engine;
import org.likra.engine.Tensor;
import org.likra.model.Adapter;
import org.likra.model.ModelWeights;
import org.likra.model.Transformer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA adapters for the targeted projections of a model: for a linear layer W [out, in] an A [rank, in] and a
 * B [out, rank], all in one parameter buffer (and one gradient buffer) of their own on the model's engine. Fresh
 * adapters follow PEFT: A ~ U(-1/sqrt(in), 1/sqrt(in)) (Kaiming-uniform with a = sqrt(5)), B = 0, so a fresh
 * adapter leaves the model unchanged.
 */
public final class LoraAdapter implements Adapter {
    /**
     * One adapted projection: views of A and B and of their gradients, plus the saved hidden activations and views
     * of them and of the scratch at the current number of rows.
     */
    public static final class Site {
        public final String module;       // e.g. model.layers.0.mlp.up_proj
        public final int inDim;
        public final int outDim;
        public final int aOffset;
        public final int bOffset;
        final Tensor a;
        final Tensor b;
        final Tensor gradA;
        final Tensor gradB;
        Tensor hidden;                    // (capacity rows, rank), saved by the forward pass
        Tensor hiddenRows;                // hidden's first n rows
        Tensor deltaRows;                 // the adapter's delta scratch, (n, outDim)
        Tensor dropped;                   // (capacity rows, inDim): the input after dropout, while training
        float[] keep;                     // the dropout mask of the last forward pass, 1 / (1 - p) or 0 per input

        Site(String module, int inDim, int outDim, int aOffset, int bOffset, Tensor params, Tensor grads, int rank) {
            this.module = module;
            this.inDim = inDim;
            this.outDim = outDim;
            this.aOffset = aOffset;
            this.bOffset = bOffset;
            this.a = params.view(aOffset, rank * inDim);
            this.b = params.view(bOffset, outDim * rank);
            this.gradA = grads.view(aOffset, rank * inDim);
            this.gradB = grads.view(bOffset, outDim * rank);
        }
    }

    private final LoraConfig config;
    private final Engine engine;
    private final Tensor parameters;
    private final Tensor gradients;
    private final Map<String, Site> sites;
    private Tensor delta;       // scratch (capacity rows, max out)
    private Tensor dHidden;     // scratch (capacity rows, rank)
    private Tensor dHiddenRows; // dHidden's first n rows
    private int capacityRows;
    private int rows;           // n of the views above (0: none built yet)
    /** Draws the dropout masks while training; null: not training, the adapter's input passes unchanged. */
    private Random dropoutRandom;
    private Tensor dxScratch;   // (capacity rows, max in), the adapter's dx before the mask, while training

    /**
     * The projections of {@code model} that {@code config} adapts; refuses (UserError) a config that targets none
     * of them or whose rank exceeds a projection's smaller dimension (such an update has no more freedom than
     * rank = that dimension, and a huge rank would overflow the parameter count).
     */
    public static List<ModelWeights.Linear> checkFits(Transformer model, LoraConfig config) {
        List<ModelWeights.Linear> targets = new ArrayList<>();
        for (ModelWeights.Block block : model.weights().blocks) {
            for (ModelWeights.Linear linear : new ModelWeights.Linear[] {block.q(), block.k(), block.v(), block.o(),
                    block.gate(), block.up(), block.down()}) {
                if (linear != null && config.targets(linear.name())) {
                    targets.add(linear);
                }
            }
        }
        if (targets.isEmpty()) {
            throw new org.likra.util.UserError("the model has none of the LoRA targets " + config.targets());
        }
        for (ModelWeights.Linear l : targets) {
            int limit = Math.min(l.inDim(), l.outDim());
            if (config.rank() > limit) {
                throw new org.likra.util.UserError("LoRA rank " + config.rank() + " exceeds " + l.name() + "'s "
                        + "smaller dimension, " + limit + " (its matrix is " + l.outDim() + " x " + l.inDim()
                        + "); use a rank of at most " + limit);
            }
        }
        return targets;
    }

    /** Adapters for every targeted projection of {@code model}, all zero (call {@link #initialize}). */
    public LoraAdapter(Transformer model, LoraConfig config) {
        this.config = config;
        this.engine = model.engine();
        List<ModelWeights.Linear> targets = checkFits(model, config);
        int total = 0;
        for (ModelWeights.Linear l : targets) {
            total += config.rank() * (l.inDim() + l.outDim());
        }
        this.parameters = engine.allocate(total);
        this.gradients = engine.allocate(total);
        Map<String, Site> map = new LinkedHashMap<>();
        int offset = 0;
        for (ModelWeights.Linear l : targets) {
            int aOffset = offset;
            int bOffset = offset + config.rank() * l.inDim();
            map.put(l.name(), new Site(l.name(), l.inDim(), l.outDim(), aOffset, bOffset, parameters, gradients,
                    config.rank()));
            offset = bOffset + l.outDim() * config.rank();
        }
        this.sites = Collections.unmodifiableMap(map);
    }

    public LoraConfig config() {
        return config;
    }

    @Override
    public Engine engine() {
        return engine;
    }

    /** All adapter parameters (A and B of every site), the only trained tensors when an adapter is attached. */
    public Tensor parameters() {
        return parameters;
    }

    @Override
    public Tensor gradients() {
        return gradients;
    }

    public Map<String, Site> sites() {
        return sites;
    }

    /** The adapted site for a linear layer's module name, or null. */
    public Site site(String module) {
        return sites.get(module);
    }

    /** PEFT's initialisation: A uniform in +-1/sqrt(in), B zero. */
    public void initialize(long seed) {
        float[] values = new float[parameters.length()];
        Random random = new Random(seed);
        for (Site s : sites.values()) {
            double bound = 1.0 / Math.sqrt(s.inDim);
            for (int i = 0; i < config.rank() * s.inDim; i++) {
                values[s.aOffset + i] = (float) ((random.nextDouble() * 2 - 1) * bound);
            }
        }
        engine.upload(parameters, values, 0);
    }

    /**
     * Sizes the saved activations and scratch for n rows and builds their views at n rows; does nothing while n
     * stays the same, so that a step allocates nothing.
     */
    void useRows(int n) {
        if (n == rows) {
            return;
        }
        int r = config.rank();
        if (n > capacityRows) {
            int maxOut = 0;
            for (Site s : sites.values()) {
                s.hidden = engine.allocate(n * r);
                maxOut = Math.max(maxOut, Math.max(s.outDim, s.inDim));
            }
            delta = engine.allocate(n * maxOut);
            dHidden = engine.allocate(n * r);
            capacityRows = n;
        }
        for (Site s : sites.values()) {
            s.hiddenRows = s.hidden.view(0, n * r);
            s.deltaRows = delta.view(0, n * s.outDim);
        }
        dHiddenRows = dHidden.view(0, n * r);
        rows = n;
    }

    /**
     * Turns training mode on (dropout masks drawn from {@code seed}) or off ({@code false}: no dropout, as for
     * scoring). Without dropout in the config, training mode changes nothing.
     */
    public void training(boolean on, long seed) {
        dropoutRandom = on && config.dropout() > 0 ? new Random(seed) : null;
    }

    @Override
    public void forward(String module, Tensor out, Tensor x, int n) {
        Site s = sites.get(module);
        if (s != null) {
            forward(s, out, x, n);
        }
    }

    @Override
    public boolean adapts(String module) {
        return sites.containsKey(module);
    }

    @Override
    public void backward(String module, Tensor dx, Tensor dOut, Tensor x, int n) {
        Site s = sites.get(module);
        if (s != null) {
            backward(s, dx, dOut, x, n);
        }
    }

    /**
     * out += scale * (x' A^T) B^T for this site, over the first n rows of out (the rows after them are not touched),
     * where x' = x, or in training mode with dropout p, x' = x * m with m = 1 / (1 - p) or 0 (probability p) per
     * element, a fresh mask per forward pass (PEFT's lora_dropout, which leaves the frozen layer's input whole).
     */
    private void forward(Site s, Tensor out, Tensor x, int n) {
        useRows(n);
        Tensor input = dropoutRandom == null ? x : dropout(s, x, n);
        engine.loraForward(out, s.hiddenRows, s.deltaRows, input, s.a, s.b, n, s.inDim, s.outDim, config.rank(),
                config.scale());
    }

    /**
     * Accumulates dA, dB and (when dx is not null) dx for this site, after a forward pass of the same n rows. With
     * dropout, dA uses the dropped input x' and the adapter's part of dx is multiplied by the same mask.
     */
    private void backward(Site s, Tensor dx, Tensor dOut, Tensor x, int n) {
        useRows(n);
        if (dropoutRandom == null) {
            engine.loraBackward(dx, s.gradA, s.gradB, dOut, x, s.hiddenRows, s.a, s.b, s.deltaRows, dHiddenRows, n,
                    s.inDim, s.outDim, config.rank(), config.scale());
            return;
        }
        int size = n * s.inDim;
        Tensor dropped = s.dropped.view(0, size);
        Tensor scratch = dx == null ? null : dxScratch.view(0, size);
        if (scratch != null) {
            engine.zero(scratch);
        }
        engine.loraBackward(scratch, s.gradA, s.gradB, dOut, dropped, s.hiddenRows, s.a, s.b, s.deltaRows,
                dHiddenRows, n, s.inDim, s.outDim, config.rank(), config.scale());
        if (scratch != null) {
            double[] values = new double[size];
            engine.download(scratch, values, 0);
            for (int i = 0; i < size; i++) {
                values[i] *= s.keep[i];
            }
            engine.upload(scratch, values, 0);
            engine.accumulate(dx, scratch, 1f, size);
        }
    }

    /**
     * x * mask into the site's dropped-input tensor; the mask is kept for the backward pass. The values pass through
     * the host as doubles, exactly as the engine stores them.
     */
    private Tensor dropout(Site s, Tensor x, int n) {
        int size = n * s.inDim;
        if (s.dropped == null || s.dropped.length() < size) {
            s.dropped = engine.allocate(size);
        }
        if (dxScratch == null || dxScratch.length() < size) {
            dxScratch = engine.allocate(size);
        }
        if (s.keep == null || s.keep.length != size) {
            s.keep = new float[size];
        }
        float kept = (float) (1 / (1 - config.dropout()));
        double[] values = new double[size];
        engine.download(x.view(0, size), values, 0);
        for (int i = 0; i < size; i++) {
            s.keep[i] = dropoutRandom.nextDouble() < config.dropout() ? 0f : kept;
            values[i] *= s.keep[i];
        }
        Tensor dropped = s.dropped.view(0, size);
        engine.upload(dropped, values, 0);
        return dropped;
    }

    /** Copies the adapter's parameters to the host. */
    public float[] values() {
        float[] out = new float[parameters.length()];
        engine.download(parameters, out, 0);
        return out;
    }

    /** Replaces the adapter's parameters. */
    public void load(float[] values) {
        engine.upload(parameters, values, 0);
    }
}
