package org.likra.model;

import org.likra.config.ModelConfig;
import org.likra.engine.Engine;
import org.likra.engine.IntTensor;
import org.likra.engine.Tensor;

/**
 * Every tensor a forward pass saves for the backward pass, and the scratch tensors the backward pass needs,
 * sized for up to {@code batch} sequences of {@code time} tokens. N = batch * time rows.
 */
final class Activations {
    /** Saved per block for the backward pass. */
    static final class Block {
        final Tensor norm1Out;   // (N, C)
        final Tensor norm1Mean;  // (N), LayerNorm only
        final Tensor norm1Rstd;  // (N)
        final Tensor q;          // (N, H*d) before RoPE
        final Tensor k;          // (N, KV*d) before RoPE
        final Tensor v;          // (N, KV*d)
        final Tensor qRot;       // (N, H*d) after RoPE (== q without RoPE)
        final Tensor kRot;       // (N, KV*d) after RoPE (== k without RoPE)
        final Tensor attentionState; // what the engine's attention backward needs: (B, H, T, T) probabilities or less
        final Tensor attention;  // (N, H*d) attention output before o_proj
        final Tensor residual2;  // (N, C) input + attention branch
        final Tensor norm2Out;   // (N, C)
        final Tensor norm2Mean;  // (N)
        final Tensor norm2Rstd;  // (N)
        final Tensor gate;       // (N, F), SwiGLU only
        final Tensor up;         // (N, F)
        final Tensor activated;  // (N, F) silu(gate) * up, or gelu(up)
        final Tensor output;     // (N, C) residual2 + MLP branch: the next block's input

        Block(Engine e, ModelConfig cfg, int batch, int time) {
            int n = batch * time;
            int c = cfg.dim();
            int qDim = cfg.heads() * cfg.headDim();
            int kvDim = cfg.kvDim();
            boolean rope = cfg.positions() == ModelConfig.Positions.rope;
            boolean layerNorm = cfg.norm() == ModelConfig.Norm.layernorm;
            norm1Out = e.allocate(n * c);
            norm1Mean = layerNorm ? e.allocate(n) : null;
            norm1Rstd = e.allocate(n);
            // q, k and v one after the other in one allocation, so that an engine can compute them as one product
            // (Engine.linearForwardQkv); up and activated likewise for GELU in a product's epilogue (not for SwiGLU,
            // whose kernel reads up and writes activated: a device engine may not take two views of one array there)
            Tensor qkv = e.allocate(n * (qDim + 2 * kvDim));
            q = qkv.view(0, n * qDim);
            k = qkv.view(n * qDim, n * kvDim);
            v = qkv.view(n * (qDim + kvDim), n * kvDim);
            qRot = rope ? e.allocate(n * qDim) : q;
            kRot = rope ? e.allocate(n * kvDim) : k;
            attentionState = e.allocate(e.attentionStateLength(batch, cfg.heads(), time));
            attention = e.allocate(n * qDim);
            residual2 = e.allocate(n * c);
            norm2Out = e.allocate(n * c);
            norm2Mean = layerNorm ? e.allocate(n) : null;
            norm2Rstd = e.allocate(n);
            gate = cfg.mlp() == ModelConfig.Mlp.swiglu ? e.allocate(n * cfg.hidden()) : null;
            if (gate == null) {
                Tensor upActivated = e.allocate(2 * n * cfg.hidden());
                up = upActivated.view(0, n * cfg.hidden());
                activated = upActivated.view(n * cfg.hidden(), n * cfg.hidden());
            } else {
                up = e.allocate(n * cfg.hidden());
                activated = e.allocate(n * cfg.hidden());
            }
            output = e.allocate(n * c);
        }
    }

    final int batch;
    final int time;
    final IntTensor tokens;      // (N)
    final IntTensor targets;     // (N)
    final Tensor lossWeights;    // (N) mask / count
    final Tensor embedded;       // (N, C) the first block's input
    final Block[] blocks;
    final Tensor branch;         // (N, C) scratch: o_proj or down_proj output before the residual add
    final Tensor finalNormOut;   // (N, C)
    final Tensor finalNormMean;  // (N)
    final Tensor finalNormRstd;  // (N)
    final Tensor logits;         // (N, V)
    final Tensor probs;          // (N, V)
    final Tensor losses;         // (N) per-position -log p(target)
    final Tensor loss;           // (1) weighted mean loss

    // Gradient scratch, reused by every block (zeroed before use).
    final Tensor dResidual;      // (N, C)
    final Tensor dNormOut;       // (N, C)
    final Tensor dLogits;        // (N, V) the same tensor as probs: the backward pass writes it over them
    final Tensor dActivated;     // (N, F)
    final Tensor dGate;          // (N, F)
    final Tensor dUp;            // (N, F)
    final Tensor dAttention;     // (N, H*d)
    final Tensor dQRot;          // (N, H*d)
    final Tensor dKRot;          // (N, KV*d)
    final Tensor dQ;             // (N, H*d)
    final Tensor dK;             // (N, KV*d)
    final Tensor dV;             // (N, KV*d)
    final Tensor dQkv;           // with RoPE, instead of dQ, dK, dV: (N, H*d + 2 KV*d), see Rows

    /**
     * Views of the inputs and of the gradient scratch at exactly N rows, for the operations that use a tensor's whole
     * length (uploads, zeroing). Built once per batch shape, so that a step builds no views.
     */
    static final class Rows {
        final int n;
        final IntTensor tokens;
        final IntTensor targets;
        final Tensor lossWeights;
        final Tensor losses;
        final Tensor dResidual;
        final Tensor dNormOut;
        final Tensor dActivated;
        final Tensor dGate;
        final Tensor dUp;
        final Tensor dAttention;
        final Tensor dQRot;
        final Tensor dKRot;
        final Tensor dQ;
        final Tensor dK;
        final Tensor dV;
        /** With RoPE, dQ, dK and dV one after the other (their views), zeroed as one; else null. */
        final Tensor dQkv;

        private Rows(Activations a, ModelConfig cfg, int n) {
            int c = cfg.dim();
            int f = cfg.hidden();
            int qDim = cfg.heads() * cfg.headDim();
            int kvDim = cfg.kvDim();
            this.n = n;
            tokens = a.tokens.view(0, n);
            targets = a.targets.view(0, n);
            lossWeights = a.lossWeights.view(0, n);
            losses = a.losses.view(0, n);
            dResidual = a.dResidual.view(0, n * c);
            dNormOut = a.dNormOut.view(0, n * c);
            dActivated = a.dActivated.view(0, n * f);
            dGate = first(a.dGate, n * f);
            dUp = a.dUp.view(0, n * f);
            dAttention = a.dAttention.view(0, n * qDim);
            dQRot = first(a.dQRot, n * qDim);
            dKRot = first(a.dKRot, n * kvDim);
            if (a.dQkv != null) {
                dQkv = a.dQkv.view(0, n * (qDim + 2 * kvDim));
                dQ = dQkv.view(0, n * qDim);
                dK = dQkv.view(n * qDim, n * kvDim);
                dV = dQkv.view(n * (qDim + kvDim), n * kvDim);
            } else {
                dQkv = null;
                dQ = a.dQ.view(0, n * qDim);
                dK = a.dK.view(0, n * kvDim);
                dV = a.dV.view(0, n * kvDim);
            }
        }

        private static Tensor first(Tensor t, int length) {
            return t == null ? null : t.view(0, length);
        }
    }

    private final ModelConfig config;
    private Rows rows;

    Activations(Engine e, ModelConfig cfg, int batch, int time) {
        this.config = cfg;
        this.batch = batch;
        this.time = time;
        int n = batch * time;
        int c = cfg.dim();
        int qDim = cfg.heads() * cfg.headDim();
        int kvDim = cfg.kvDim();
        boolean rope = cfg.positions() == ModelConfig.Positions.rope;
        boolean layerNorm = cfg.norm() == ModelConfig.Norm.layernorm;
        tokens = e.allocateInts(n);
        targets = e.allocateInts(n);
        lossWeights = e.allocate(n);
        embedded = e.allocate(n * c);
        blocks = new Block[cfg.layers()];
        for (int l = 0; l < cfg.layers(); l++) {
            blocks[l] = new Block(e, cfg, batch, time);
        }
        branch = e.allocate(n * c);
        finalNormOut = e.allocate(n * c);
        finalNormMean = layerNorm ? e.allocate(n) : null;
        finalNormRstd = e.allocate(n);
        logits = e.allocate(Math.multiplyExact(n, cfg.vocab()));
        probs = e.allocate(Math.multiplyExact(n, cfg.vocab()));
        losses = e.allocate(n);
        loss = e.allocate(1);
        dResidual = e.allocate(n * c);
        dNormOut = e.allocate(n * c);
        // The output probabilities are read only by the cross-entropy backward, which may write its gradient over
        // them (Engine.crossEntropyBackward): one (N, V) buffer fewer (gpt2-M at 4 x 128: 103 MB).
        dLogits = probs;
        dActivated = e.allocate(n * cfg.hidden());
        dGate = cfg.mlp() == ModelConfig.Mlp.swiglu ? e.allocate(n * cfg.hidden()) : null;
        dUp = e.allocate(n * cfg.hidden());
        dAttention = e.allocate(n * qDim);
        dQRot = rope ? e.allocate(n * qDim) : null;
        dKRot = rope ? e.allocate(n * kvDim) : null;
        // With RoPE, dq, dk and dv share one allocation (Rows places them one after the other at N rows), so that one
        // zeroing covers them and an engine can run their backward products as one (Engine.linearBackwardQkv).
        // Without RoPE the attention backward writes dk and dv itself, and a device engine may not take two views of
        // one array there (TornadoVM never schedules such a task), so they stay apart.
        if (rope) {
            dQkv = e.allocate(n * (qDim + 2 * kvDim));
            dQ = null;
            dK = null;
            dV = null;
        } else {
            dQkv = null;
            dQ = e.allocate(n * qDim);
            dK = e.allocate(n * kvDim);
            dV = e.allocate(n * kvDim);
        }
    }

    /**
     * The elements (floats and ints) the constructor allocates for {@code batch} sequences of {@code time} tokens,
     * counted the same way: per block 4 (N, C) + 2 or 3 (N, F) + (N, H d) x 2 or 3 + (N, KV d) x 2 or 4 + the
     * (B, H, T, T) attention probabilities + norm statistics; the logits and probabilities (N, V) twice; the
     * gradient scratch shared by all blocks.
     */
    static long elements(ModelConfig cfg, int batch, int time) {
        long n = (long) batch * time;
        long c = cfg.dim();
        long f = cfg.hidden();
        long qDim = (long) cfg.heads() * cfg.headDim();
        long kvDim = cfg.kvDim();
        boolean rope = cfg.positions() == ModelConfig.Positions.rope;
        boolean layerNorm = cfg.norm() == ModelConfig.Norm.layernorm;
        boolean swiglu = cfg.mlp() == ModelConfig.Mlp.swiglu;
        long block = n * c * 4                                      // norm1Out, residual2, norm2Out, output
                + n * (layerNorm ? 4 : 2)                           // norm means and rstds
                + n * qDim * (rope ? 3 : 2)                         // q, attention (and qRot)
                + n * kvDim * (rope ? 3 : 2)                        // k, v (and kRot)
                + attentionProbabilities(cfg, batch, time)          // attention probabilities (cpu, reference)
                + n * f * (swiglu ? 3 : 2);                         // gate, up, activated
        long top = n * 3 + 1                                        // tokens, targets, lossWeights, loss
                + n * c * 3                                         // embedded, branch, finalNormOut
                + n * (layerNorm ? 2 : 1)                           // final norm statistics
                + n * cfg.vocab() * 2                               // logits, probabilities
                + n                                                 // losses
                + n * c * 2                                         // dResidual, dNormOut
                + n * f * (swiglu ? 3 : 2)                          // dActivated, dGate, dUp
                + n * qDim * (rope ? 3 : 2)                         // dAttention, dQ (and dQRot)
                + n * kvDim * (rope ? 3 : 2);                       // dK, dV (and dKRot)
        return block * cfg.layers() + top;
    }

    /** One block's attention probabilities (B, H, T, T), the attention state of the cpu and reference engines. */
    static long attentionProbabilities(ModelConfig cfg, int batch, int time) {
        return (long) batch * cfg.heads() * time * time;
    }

    /** The views at {@code n} rows (at most batch * time), rebuilt only when n changes. */
    Rows rows(int n) {
        if (rows == null || rows.n != n) {
            rows = new Rows(this, config, n);
        }
        return rows;
    }
}
