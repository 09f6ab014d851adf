package brmr.rmr.server;

import java.util.BitSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Striped per-chunk locks. Writes and sync installs hold the chunks of their range shared; verify
 * holds one chunk exclusive while it reads it, so its checksum sees no half-written chunk. Lock
 * order: stripes in ascending index; an exclusive holder holds a single stripe.
 */
final class ChunkLocks {
    private static final int STRIPES = 256;

    /** A held set of stripes; close releases them. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final ReentrantReadWriteLock[] stripes = new ReentrantReadWriteLock[STRIPES];

    ChunkLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
    }

    /** Holds chunks {@code first..last} (inclusive) shared. */
    Held shared(long first, long last) {
        BitSet taken = new BitSet(STRIPES);
        for (long chunk = first; chunk <= last && taken.cardinality() < STRIPES; chunk++) {
            taken.set(stripe(chunk));
        }
        for (int i = taken.nextSetBit(0); i >= 0; i = taken.nextSetBit(i + 1)) {
            stripes[i].readLock().lock();
        }
        return () -> {
            for (int i = taken.nextSetBit(0); i >= 0; i = taken.nextSetBit(i + 1)) {
                stripes[i].readLock().unlock();
            }
        };
    }

    /** Holds one chunk exclusive: no write or sync install of it runs meanwhile. */
    Held exclusive(long chunk) {
        ReentrantReadWriteLock.WriteLock lock = stripes[stripe(chunk)].writeLock();
        lock.lock();
        return lock::unlock;
    }

    private static int stripe(long chunk) {
        return (int) Math.floorMod(chunk, (long) STRIPES);
    }
}
