package org.likra.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH's operation counting for floating-point work: a benchmark adds the floating-point operations of each call
 * (in units of 1e9), and JMH reports the secondary result {@code gflop} as a rate, i.e. GFLOP/s, next to the
 * primary time per call.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class FlopCounter {
    /** GFLOP done; JMH divides by the measured time. */
    public double gflop;

    @Setup(Level.Iteration)
    public void reset() {
        gflop = 0;
    }
}
