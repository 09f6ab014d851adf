package brmr.rmr.server;

import java.time.Duration;
import org.tinylog.Logger;

/**
 * Counts the calls in flight on one registered store, so that teardown can close the gate, wait
 * for them to drain and only then let the store's file descriptor be closed.
 */
final class IoGate {
    private static final Duration DRAIN_REPORT = Duration.ofSeconds(10);

    private final String what;
    /** Calls between enter and exit; guarded by this. */
    private int inFlight;
    /** Set once teardown begins; guarded by this. */
    private boolean closed;

    /** @param what the store, for the log line while a drain waits */
    IoGate(String what) {
        this.what = what;
    }

    /** Admits one call; false once teardown has begun. */
    synchronized boolean enter() {
        if (closed) {
            return false;
        }
        inFlight++;
        return true;
    }

    synchronized void exit() {
        if (--inFlight == 0) {
            notifyAll();
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
        while (inFlight > 0) {
            try {
                wait(DRAIN_REPORT.toMillis());
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (inFlight > 0) {
                Logger.warn("{}: still waiting for {} IO(s) in flight after {} s before closing it", what, inFlight,
                        Duration.ofNanos(System.nanoTime() - started).toSeconds());
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
