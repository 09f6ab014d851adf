package brmr.rmr.server;

import java.util.concurrent.locks.StampedLock;

/**
 * Striped per-chunk locks. Writes and sync installs hold the chunks of their range shared; verify
 * holds one chunk exclusive while it reads it, so its checksum sees no half-written chunk. Lock
 * order: stripes in ascending index; an exclusive holder holds a single stripe. The stripes are not
 * reentrant (a {@link StampedLock} keeps no per-thread hold count, which a reentrant lock creates for
 * every new virtual thread): no holder takes a stripe again.
 */
final class ChunkLocks {
    private static final int STRIPES = 256;

    /** A held set of stripes; close releases them. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final StampedLock[] stripes = new StampedLock[STRIPES];

    ChunkLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new StampedLock();
        }
    }

    /**
     * Holds chunks {@code first..last} (inclusive) shared: their stripes form one run, wrapping past the
     * last stripe at most once, taken in ascending index without allocating a set (this runs per write).
     */
    Held shared(long first, long last) {
        if (last - first + 1 >= STRIPES) {
            return sharedRuns(0, STRIPES - 1, 0, -1);
        }
        int from = stripe(first);
        int to = stripe(last);
        return from <= to ? sharedRuns(from, to, 0, -1) : sharedRuns(0, to, from, STRIPES - 1);
    }

    /** Holds stripes {@code from1..to1}, then {@code from2..to2} (empty when from2 > to2), shared. */
    private Held sharedRuns(int from1, int to1, int from2, int to2) {
        for (int i = from1; i <= to1; i++) {
            stripes[i].asReadLock().lock();
        }
        for (int i = from2; i <= to2; i++) {
            stripes[i].asReadLock().lock();
        }
        return () -> {
            for (int i = from1; i <= to1; i++) {
                stripes[i].asReadLock().unlock();
            }
            for (int i = from2; i <= to2; i++) {
                stripes[i].asReadLock().unlock();
            }
        };
    }

    /** Holds one chunk exclusive: no write or sync install of it runs meanwhile. */
    Held exclusive(long chunk) {
        StampedLock stripe = stripes[stripe(chunk)];
        long stamp = stripe.writeLock();
        return () -> stripe.unlockWrite(stamp);
    }

    private static int stripe(long chunk) {
        return (int) Math.floorMod(chunk, (long) STRIPES);
    }
}
