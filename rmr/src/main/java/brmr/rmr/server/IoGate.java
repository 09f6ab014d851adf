package brmr.rmr.server;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.tinylog.Logger;

/**
 * Counts the calls in flight on one registered store, so that teardown can close the gate, wait
 * for them to drain and only then let the store's file descriptor be closed.
 */
final class IoGate {
    private static final Duration DRAIN_REPORT = Duration.ofSeconds(10);

    private final String what;
    /** Calls between enter and exit (and, for a moment, calls refused by a closed gate). */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Set once teardown begins, under this; read anywhere. */
    private volatile boolean closed;

    /** @param what the store, for the log line while a drain waits */
    IoGate(String what) {
        this.what = what;
    }

    /**
     * Admits one call, without a lock; false once teardown has begun. The count goes up before the
     * look at {@code closed}, so a drain either refuses the call or waits for it.
     */
    boolean enter() {
        inFlight.incrementAndGet();
        if (closed) {
            exit();
            return false;
        }
        return true;
    }

    void exit() {
        if (inFlight.decrementAndGet() == 0 && closed) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Refuses every later call; the calls in flight go on. */
    synchronized void close() {
        closed = true;
    }

    /** Closes the gate and returns once no call is in flight; a store call that never returns keeps it waiting. */
    synchronized void closeAndDrain() {
        closed = true;
        long started = System.nanoTime();
        boolean interrupted = false;
        while (inFlight.get() > 0) {
            try {
                wait(DRAIN_REPORT.toMillis());
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (inFlight.get() > 0) {
                Logger.warn("{}: still waiting for {} IO(s) in flight after {} s before closing it", what,
                        inFlight.get(), Duration.ofNanos(System.nanoTime() - started).toSeconds());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
