package brmr.rmr.server;

import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;

/**
 * The active-chunks record of one store (an activity log, like DRBD's al-extents): the chunks this
 * node may have written without every leg having them, so that a recovery after a client crash can
 * mark them dirty for the other legs. A compute write makes its chunks active, durably, before its
 * data lands; chunks already active cost nothing more. Concurrent first touches share one persist
 * (group commit): one thread at a time persists every chunk waiting at that moment, the others wait
 * for it and find their chunks durable. The client resolves the record once its writes are known on
 * every leg ({@code ActivityResolved}); chunks written since the previous resolve stay active (they are
 * likely written again, and re-activating them would cost a persist each), the cold ones are cleared.
 * A chunk kept active is only ever an extra dirty mark after a crash, never a lost one.
 *
 * <p>The monitor is a leaf: never held across store IO or while taking another lock. A thread
 * waiting for the group commit holds no lock.
 */
final class ActiveChunks {
    private final StoreAccess store;
    private final long chunkCount;
    /** Chunks wanted active: the durable ones and those waiting for a persist. Guarded by this. */
    private final long[] wanted;
    /** Chunks durably active on the store. Guarded by this. */
    private final long[] durable;
    /** Chunks written since the last resolve: the hot set a resolve keeps. Guarded by this. */
    private final long[] touched;
    /** The chunk range a persist must cover for the chunks waiting; empty when first > last. Guarded by this. */
    private long pendingFirst = Long.MAX_VALUE;
    private long pendingLast = -1;
    /** Whether a thread is persisting (a commit or a clear) right now. Guarded by this. */
    private boolean persisting;

    /** Loads the record persisted on the store. */
    ActiveChunks(StoreAccess store) throws IOException {
        this.store = store;
        this.chunkCount = store.params().chunkCount();
        int words = Math.toIntExact(Math.ceilDiv(chunkCount, Long.SIZE));
        this.durable = Arrays.copyOf(store.store().loadActive(), words);
        this.wanted = durable.clone();
        this.touched = new long[words];
    }

    /** Makes chunks {@code first..last} active, durably, before returning. */
    void activate(long first, long last) throws RequestException {
        if (first < 0 || last < first || last >= chunkCount) {
            throw new RequestException(Status.INVALID, "chunks " + first + ".." + last + " lie outside 0.."
                    + (chunkCount - 1));
        }
        long[] snapshot;
        long from;
        long to;
        synchronized (this) {
            touch(first, last);
            if (allSet(durable, first, last)) {
                return;
            }
            want(first, last);
            while (persisting) {
                awaitPersist();
                if (allSet(durable, first, last)) {
                    return;
                }
            }
            // a clear that ran meanwhile took the bits back: want them again
            want(first, last);
            persisting = true;
            snapshot = wanted.clone();
            from = pendingFirst;
            to = pendingLast + 1;
            pendingFirst = Long.MAX_VALUE;
            pendingLast = -1;
        }
        boolean done = false;
        try {
            store.run("active chunks record", disk -> {
                disk.persistActive(snapshot, from, to);
                return null;
            });
            done = true;
        } finally {
            finishCommit(snapshot, from, to, done);
        }
    }

    /** The caller holds this. */
    private void touch(long first, long last) {
        for (long chunk = first; chunk <= last; chunk++) {
            set(touched, chunk);
        }
    }

    /** Adds the chunks not yet wanted to the ones the next persist covers. The caller holds this. */
    private void want(long first, long last) {
        for (long chunk = first; chunk <= last; chunk++) {
            if (!isSet(wanted, chunk)) {
                set(wanted, chunk);
                pendingFirst = Math.min(pendingFirst, chunk);
                pendingLast = Math.max(pendingLast, chunk);
            }
        }
    }

    private synchronized void finishCommit(long[] snapshot, long from, long to, boolean done) {
        if (done) {
            for (long chunk = from; chunk < to; chunk++) {
                if (isSet(snapshot, chunk)) {
                    set(durable, chunk);
                }
            }
        } else {
            // the store failed; the next waiter tries and is refused as well
            pendingFirst = Math.min(pendingFirst, from);
            pendingLast = Math.max(pendingLast, to - 1);
        }
        persisting = false;
        notifyAll();
    }

    /**
     * The client resolved every active chunk (no write of its is in flight): forgets, durably, the
     * chunks not written since the previous resolve and keeps the hot ones. Writes only the range
     * that changes, and nothing when nothing does. Returns how many chunks were forgotten.
     */
    long resolve() throws RequestException {
        long[] kept;
        long from;
        long to;
        long count = 0;
        synchronized (this) {
            while (persisting) {
                awaitPersist();
            }
            kept = new long[durable.length];
            from = -1;
            to = -1;
            for (int w = 0; w < durable.length; w++) {
                kept[w] = durable[w] & touched[w];
                long cold = durable[w] & ~touched[w];
                if (cold != 0) {
                    count += Long.bitCount(cold);
                    from = from < 0 ? (long) w * Long.SIZE + Long.numberOfTrailingZeros(cold) : from;
                    to = (long) w * Long.SIZE + Long.SIZE - Long.numberOfLeadingZeros(cold);
                }
            }
            Arrays.fill(touched, 0);
            if (count == 0) {
                return 0;
            }
            persisting = true;
            System.arraycopy(kept, 0, durable, 0, kept.length);
            System.arraycopy(kept, 0, wanted, 0, kept.length);
            pendingFirst = Long.MAX_VALUE;
            pendingLast = -1;
        }
        long persistFrom = from;
        long persistTo = to;
        try {
            store.run("active chunks record", disk -> {
                disk.persistActive(kept, persistFrom, persistTo);
                return null;
            });
        } finally {
            synchronized (this) {
                persisting = false;
                notifyAll();
            }
        }
        return count;
    }

    /** The durably active chunks, ascending. */
    synchronized long[] chunks() {
        return BitSet.valueOf(durable).stream().asLongStream().toArray();
    }

    private void awaitPersist() throws RequestException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RequestException(Status.NOT_READY, "interrupted while the active chunks were persisted");
        }
    }

    private static boolean allSet(long[] words, long first, long last) {
        for (long chunk = first; chunk <= last; chunk++) {
            if (!isSet(words, chunk)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isSet(long[] words, long chunk) {
        return (words[(int) (chunk >>> 6)] & (1L << chunk)) != 0;
    }

    private static void set(long[] words, long chunk) {
        words[(int) (chunk >>> 6)] |= 1L << chunk;
    }
}
