package org.likra.engine.tornado;

/**
 * TornadoVM options the engine needs, set as system properties unless the user set them. TornadoVM reads them once,
 * when its runtime starts, so {@link TornadoEngine}'s static initialiser sets them before anything touches TornadoVM.
 *
 * <p>TornadoVM encodes each task graph's schedule (allocations, copies, launches, dependencies) in a bytecode buffer
 * of {@code tornado.tvm.maxbytecodesize} bytes, 4096 by default: a layer's backward region of 24 or more tasks
 * overflows it. The overflow is caught and becomes a "bailout" that, with {@code tornado.recover.bailout} (on by
 * default), runs the graph's tasks as sequential Java on the host without a word, which is wrong for the
 * KernelContext matrix product: those regions left their outputs wrong. Hence a larger buffer, and bailouts as
 * exceptions (docs/tornadovm.md).
 *
 * <p>TornadoVM's OpenCL backend turns {@code a * b + c} into explicit {@code fma(a, b, c)} calls unless
 * {@code tornado.enable.fma} is false. OpenCL C lets the device compiler contract a multiply-add into one
 * instruction by itself (FP_CONTRACT is on by default), but PoCL (OpenCL on the CPU) compiles the explicit call to
 * a call of its library's fma that LLVM will not inline, and a loop with a call is not vectorised: the
 * {@code @Parallel} matrix product of gpt2-S's forward pass took 67 ms with the calls and 10 to 19 ms without them
 * on PoCL (2026-12-07). So the engine turns them off.
 */
final class TornadoVmOptions {
    private TornadoVmOptions() {
    }

    static void setDefaults() {
        if (System.getProperty("tornado.tvm.maxbytecodesize") == null) {
            System.setProperty("tornado.tvm.maxbytecodesize", "65536");
        }
        if (System.getProperty("tornado.recover.bailout") == null) {
            System.setProperty("tornado.recover.bailout", "false");
        }
        if (System.getProperty("tornado.enable.fma") == null) {
            System.setProperty("tornado.enable.fma", "false");
        }
    }
}
