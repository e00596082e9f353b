/**
 * The TornadoVM kernels of the tornado engine, in plain Java. Every kernel takes (array, offset) pairs so that views
 * into one buffer (all parameters, all gradients) work, and every output is written only by the thread that owns
 * it (no atomics): reductions over rows run one thread per column, reductions over everything in two stages.
 *
 * <p>Kernels whose loops are marked {@code @Parallel} are also ordinary Java: run outside TornadoVM the annotation
 * does nothing and the loops run sequentially. The tests under {@code src/tornado/test} run them that way against
 * the reference engine. Kernels taking a {@code KernelContext} (the tiled matrix product) run only on a device.
 *
 * <p>This package compiles only in the {@code tornado} Maven profile (it imports TornadoVM's array types).
 */
package org.likra.kernels;
