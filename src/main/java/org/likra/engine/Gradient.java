package org.likra.engine;

/**
 * What a backward operation does with a gradient buffer it is given: add its contribution to what the buffer holds,
 * or replace the buffer's contents. The first contribution a buffer receives in a backward pass may
 * {@link #OVERWRITE} it, which spares zeroing it beforehand (and, for the cpu engine's matrix products, reading its
 * old values at all); every later one must {@link #ACCUMULATE}.
 */
public enum Gradient {
    /** gradient += contribution. */
    ACCUMULATE,
    /** gradient = contribution (the old contents are neither read nor kept). */
    OVERWRITE
}
