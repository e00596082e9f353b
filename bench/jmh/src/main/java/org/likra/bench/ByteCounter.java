package org.likra.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * JMH's operation counting for memory-bound work: a benchmark adds the bytes of the tensors each call must read and
 * write (in units of 1e9, by the operation's definition, not as measured traffic), and JMH reports the secondary
 * result {@code gbyte} as a rate, i.e. GB/s, next to the primary calls per second (throughput mode).
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class ByteCounter {
    /** GB read and written; JMH divides by the measured time. */
    public double gbyte;

    @Setup(Level.Iteration)
    public void reset() {
        gbyte = 0;
    }
}
