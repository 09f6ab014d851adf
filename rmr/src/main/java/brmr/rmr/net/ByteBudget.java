package brmr.rmr.net;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A daemon-wide budget of bytes held by requests in flight, from which each connection draws
 * through its own smaller {@link Share}. A reader that finds no room waits (and so stops reading
 * its connection) until replies have gone out: backpressure, not failure.
 */
public final class ByteBudget {
    /**
     * What a request costs besides its data (its thread, its reply in the making): the least it is
     * charged, so that a peer pipelining empty requests without taking replies is bounded too.
     */
    public static final int REQUEST_OVERHEAD_BYTES = 4096;
    /** How often a waiting reader checks that its connection is still open. */
    private static final long RECHECK_MILLIS = 200;

    private final Semaphore total;
    private final int perConnection;

    /** {@code perConnection} must be at least the largest single request, or that request could never fit. */
    public ByteBudget(int total, int perConnection) {
        if (perConnection <= 0 || total < perConnection) {
            throw new IllegalArgumentException("budget of " + total + " bytes with " + perConnection
                    + " per connection: need 0 < per connection <= total");
        }
        this.total = new Semaphore(total, true);
        this.perConnection = perConnection;
    }

    /** A budget large enough never to wait, for connections whose peer is trusted (e.g. replies to our own requests). */
    public static ByteBudget unlimited() {
        return new ByteBudget(Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    public Share newShare() {
        return new Share();
    }

    public int available() {
        return total.availablePermits();
    }

    /** One connection's part of the budget. */
    public final class Share {
        private final Semaphore own = new Semaphore(perConnection, true);

        private Share() {
        }

        /**
         * Takes {@code bytes} (at most the share's size: a larger request is charged the whole
         * share), waiting while there is no room and {@code open} holds. Returns what it took.
         *
         * @throws IOException {@code open} turned false while waiting, or the thread was interrupted
         */
        public int acquire(long bytes, BooleanSupplier open) throws IOException {
            int permits = (int) Math.clamp(bytes, 0, perConnection);
            if (permits == 0) {
                return 0;
            }
            take(own, permits, open);
            try {
                take(total, permits, open);
            } catch (IOException e) {
                own.release(permits);
                throw e;
            }
            return permits;
        }

        /** Gives back what {@link #acquire} returned. */
        public void release(int bytes) {
            if (bytes > 0) {
                total.release(bytes);
                own.release(bytes);
            }
        }

        public int available() {
            return own.availablePermits();
        }
    }

    private static void take(Semaphore semaphore, int permits, BooleanSupplier open) throws IOException {
        try {
            while (!semaphore.tryAcquire(permits, RECHECK_MILLIS, TimeUnit.MILLISECONDS)) {
                if (!open.getAsBoolean()) {
                    throw new IOException("closed while waiting for room for " + permits + " bytes in flight");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for room for " + permits + " bytes in flight");
        }
    }
}
