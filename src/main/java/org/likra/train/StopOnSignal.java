package org.likra.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM into a request that a training loop stop after its current step. While it is
 * installed, a JVM shutdown hook (the JVM runs hooks on both signals) sets the request, then holds the JVM's exit
 * until the loop {@link #close closes} this, at most {@link #MAX_WAIT_SECONDS}: time for the loop to finish its step
 * and save a checkpoint.
 */
final class StopOnSignal implements AutoCloseable {
    /** How long the hook holds the JVM's exit for the loop. */
    static final long MAX_WAIT_SECONDS = 300;

    private volatile boolean requested;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread hook;

    private StopOnSignal() {
        hook = new Thread(() -> {
            requested = true;
            try {
                closed.await(MAX_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "likra-stop-on-signal");
    }

    /** Installs the hook. */
    static StopOnSignal install() {
        StopOnSignal s = new StopOnSignal();
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** Whether a signal asked the loop to stop. */
    boolean requested() {
        return requested;
    }

    /** The loop has ended (its checkpoint saved, or failed): the JVM may exit; outside a shutdown, the hook goes. */
    @Override
    public void close() {
        closed.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook is running and now returns
        }
    }
}
