package org.likra.engine;

/** The number format an engine stores tensors in. */
public enum Precision {
    /** IEEE binary32: what models train in. */
    F32,
    /** IEEE binary64: for finite-difference gradient checks (reference engine only). */
    F64
}
