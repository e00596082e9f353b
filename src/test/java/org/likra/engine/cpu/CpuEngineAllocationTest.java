package org.likra.engine.cpu;

import org.junit.jupiter.api.Test;
import org.likra.engine.AdamWSettings;
import org.likra.engine.Gradient;
import org.likra.engine.IntTensor;
import org.likra.engine.Precision;
import org.likra.engine.Tensor;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * After warm-up (once C2 has compiled the kernels and scalar-replaced their vectors) no operation of
 * {@link CpuEngine} allocates on the heap: the calling thread's allocated-bytes counter does not move over a pass
 * of every operation, with float32 parameters and with parameters held in BF16 and F16. (Pool threads run pre-built loop bodies and allocate nothing either.)
 */
class CpuEngineAllocationTest {

    @Test
    void operationsAllocateNothingAfterWarmUp() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Ops ops = new Ops()) {
            for (int i = 0; i < 3000; i++) {
                ops.pass();
            }
            // The fewest bytes per pass over up to 10 windows of 200 passes: C2 may still be compiling a kernel (which
            // boxes its vectors until then) after the warm-up on a busy machine; an allocation made by an operation
            // itself shows in every window.
            int passes = 200;
            long perPass = Long.MAX_VALUE;
            for (int window = 0; window < 10 && perPass > 0; window++) {
                long before = mx.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < passes; i++) {
                    ops.pass();
                }
                perPass = Math.min(perPass, (mx.getCurrentThreadAllocatedBytes() - before) / passes);
            }
            // a per-call lambda or array in any of the ~25 operations would cost hundreds of bytes per pass
            assertTrue(perPass < 16, perPass + " bytes allocated per pass over every operation");
        }
    }

    /** Every operation on fixed tensors (allocated once) at small shapes, on a two-thread engine of its own. */
    private static final class Ops implements AutoCloseable {
        final CpuEngine e = new CpuEngine(2);
        final int n = 24, c = 40, vocab = 50, f = 80, batch = 2, time = 12, heads = 4, kv = 2, d = 10;
        final int qLen = batch * time * heads * d, kvLen = batch * time * kv * d;
        final Tensor x = filled(n * c), dOut = filled(n * c), table = filled(vocab * c), dTable = filled(vocab * c);
        final Tensor pos = filled(n * c), dPos = filled(n * c), w = filled(c), b = filled(c), out = filled(n * c);
        final Tensor mean = filled(n), rstd = filled(n), dx = filled(n * c), dw = filled(c), db = filled(c);
        final Tensor lw = filled(f * c), lb = filled(f), ly = filled(n * f), lg = filled(n * f), lgx = filled(n * c);
        final Tensor lgw = filled(f * c), q = filled(qLen), k = filled(kvLen), v = filled(kvLen), qr = filled(qLen);
        final Tensor att = filled(qLen), probs = filled(batch * heads * time * time), dq = filled(qLen);
        final Tensor dk = filled(kvLen), dv = filled(kvLen), gate = filled(n * f), up = filled(n * f);
        final Tensor act = filled(n * f), dGate = filled(n * f), dUp = filled(n * f), logits = filled(n * vocab);
        final Tensor lp = filled(n * vocab), losses = filled(n), dLogits = filled(n * vocab), weights = filled(n);
        final Tensor loss = filled(1), norm = filled(1), m1 = filled(f * c), m2 = e.allocate(f * c);
        // a frozen base's parameters held in BF16 and F16: norm weights and biases, embeddings and linear layers
        final Tensor table16 = filled(vocab * c, Precision.BF16), w16 = filled(c, Precision.BF16);
        final Tensor b16 = filled(c, Precision.F16), lw16 = filled(f * c, Precision.BF16);
        final Tensor lwF16 = filled(f * c, Precision.F16), lb16 = filled(f, Precision.BF16);
        final IntTensor tokens = tokens();
        final AdamWSettings settings = new AdamWSettings(0.9f, 0.95f, 1e-8f, 0.1f, 1f);

        @Override
        public void close() {
            e.close();
        }

        /** Token ids (7 i) mod vocab. */
        private IntTensor tokens() {
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = (i * 7) % vocab;
            }
            IntTensor t = e.allocateInts(n);
            e.upload(t, ids, 0);
            return t;
        }

        private Tensor filled(int length) {
            return filled(length, Precision.F32);
        }

        private Tensor filled(int length, Precision format) {
            float[] values = new float[length];
            for (int i = 0; i < length; i++) {
                values[i] = (float) Math.sin(i * 0.37 + length) * 0.5f;
            }
            Tensor t = e.allocate(length, format);
            e.upload(t, values, 0);
            return t;
        }

        void pass() {
            e.embeddingForward(out, tokens, table16, n, c);
            e.rmsNormForward(out, rstd, x, w16, n, c, 1e-5f);
            e.layerNormForward(out, mean, rstd, x, w16, b16, n, c, 1e-5f);
            e.layerNormBackward(dx, null, null, dOut, x, w16, mean, rstd, n, c);
            e.linearForward(ly, x, lw16, lb16, n, c, f);
            e.linearBackward(lgx, Gradient.OVERWRITE, null, null, Gradient.OVERWRITE, lg, x, lw16, n, c, f);
            e.linearForward(ly, x, lwF16, lb, n, c, f);
            e.linearBackward(lgx, Gradient.ACCUMULATE, null, null, Gradient.OVERWRITE, lg, x, lwF16, n, c, f);
            e.embeddingForward(out, tokens, table, n, c);
            e.embeddingBackward(dTable, dOut, tokens, n, c);
            e.positionEmbeddingForward(out, pos, 1, n, c);
            e.positionEmbeddingBackward(dPos, dOut, 1, n, c);
            e.rmsNormForward(out, rstd, x, w, n, c, 1e-5f);
            e.rmsNormBackward(dx, dw, dOut, x, w, rstd, n, c);
            e.layerNormForward(out, mean, rstd, x, w, b, n, c, 1e-5f);
            e.layerNormBackward(dx, dw, db, dOut, x, w, mean, rstd, n, c);
            e.linearForward(ly, x, lw, lb, n, c, f);
            e.linearBackward(lgx, Gradient.ACCUMULATE, lgw, lb, Gradient.ACCUMULATE, lg, x, lw, n, c, f);
            e.linearBackward(lgx, Gradient.OVERWRITE, lgw, lb, Gradient.OVERWRITE, lg, x, lw, n, c, f);
            e.ropeForward(qr, q, batch, time, heads, d, 10000f, 0);
            e.ropeBackward(dq, q, batch, time, heads, d, 10000f, 0);
            e.attentionForward(att, probs, qr, k, v, batch, time, heads, kv, d);
            e.attentionBackward(dq, dk, dv, att, qr, k, v, probs, batch, time, heads, kv, d);
            e.swigluForward(act, gate, up, n * f);
            e.swigluBackward(dGate, dUp, act, gate, up, n * f);
            e.geluForward(act, gate, n * f);
            e.geluBackward(dGate, Gradient.ACCUMULATE, act, gate, n * f);
            e.geluBackward(dGate, Gradient.OVERWRITE, act, gate, n * f);
            e.add(act, gate, up, n * f);
            e.accumulate(dUp, gate, 0.5f, n * f);
            e.crossEntropyForward(losses, lp, logits, tokens, n, vocab);
            e.crossEntropyBackward(dLogits, lp, tokens, weights, n, vocab);
            e.weightedSum(loss, losses, weights, n);
            e.sumOfSquares(norm, lgw, f * c);
            e.adamw(lw, lgw, m1, m2, norm, settings, 1e-3f, 1, f * c);
        }
    }
}
