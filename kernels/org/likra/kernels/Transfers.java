package org.likra.kernels;

import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * Tasks that compute nothing. A TornadoVM task graph copies an array to the device only when one of its tasks takes
 * the array as an argument, so the tornado engine uploads a host-written array into its device-resident set with a
 * one-task graph of {@link #receiveFloats} (or {@link #receiveInts}) whose transfer mode is
 * "every execution". The bodies never write: the test reads the size, which is never negative.
 */
public final class Transfers {
    private Transfers() {
    }

    /** Leaves {@code a} unchanged; its task graph copies {@code a} to the device. */
    public static void receiveFloats(FloatArray a) {
        if (a.getSize() < 0) {
            a.set(0, 0f);
        }
    }

    /** Leaves {@code a} unchanged; its task graph copies {@code a} to the device. */
    public static void receiveInts(IntArray a) {
        if (a.getSize() < 0) {
            a.set(0, 0);
        }
    }
}
