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
    }
}
