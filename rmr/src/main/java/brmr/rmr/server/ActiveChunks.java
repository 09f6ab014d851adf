package brmr.rmr.server;

import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

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
 * waiting for the group commit holds no lock. The common case, chunks already durably active, takes no
 * lock: it marks them touched and checks them durable between two reads of {@code resolves}, and falls
 * back to the monitor when a resolve ran in between, so a resolve never misses a write it could forget.
 */
final class ActiveChunks {
    private final StoreAccess store;
    private final long chunkCount;
    /** Chunks wanted active: the durable ones and those waiting for a persist. Guarded by this. */
    private final long[] wanted;
    /** Chunks durably active on the store. Written under this, read anywhere. */
    private final AtomicLongArray durable;
    /** Chunks written since the last resolve: the hot set a resolve keeps. Set anywhere, taken under this. */
    private final AtomicLongArray touched;
    /** Odd while a resolve takes {@code touched} and clears {@code durable}; written under this, read anywhere. */
    private final AtomicLong resolves = new AtomicLong();
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
        long[] loaded = Arrays.copyOf(store.store().loadActive(), words);
        this.durable = new AtomicLongArray(loaded);
        this.wanted = loaded.clone();
        this.touched = new AtomicLongArray(words);
    }

    /** Makes chunks {@code first..last} active, durably, before returning. */
    void activate(long first, long last) throws RequestException {
        if (first < 0 || last < first || last >= chunkCount) {
            throw new RequestException(Status.INVALID, "chunks " + first + ".." + last + " lie outside 0.."
                    + (chunkCount - 1));
        }
        if (activeAlready(first, last)) {
            return;
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

    /**
     * Without the lock: touches the chunks and returns whether they are all durably active, unless a
     * resolve began meanwhile (it may not have seen them touched, and may clear them): then false.
     */
    private boolean activeAlready(long first, long last) {
        long before = resolves.get();
        if ((before & 1) != 0) {
            return false;
        }
        touch(first, last);
        return allSet(durable, first, last) && resolves.get() == before;
    }

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
            kept = new long[durable.length()];
            from = -1;
            to = -1;
            // odd from before touched is taken until durable is cleared: a lock-free touch meanwhile retries here
            resolves.incrementAndGet();
            for (int w = 0; w < kept.length; w++) {
                long hot = touched.getAndSet(w, 0);
                kept[w] = durable.get(w) & hot;
                long cold = durable.get(w) & ~hot;
                if (cold != 0) {
                    count += Long.bitCount(cold);
                    from = from < 0 ? (long) w * Long.SIZE + Long.numberOfTrailingZeros(cold) : from;
                    to = (long) w * Long.SIZE + Long.SIZE - Long.numberOfLeadingZeros(cold);
                }
            }
            if (count == 0) {
                resolves.incrementAndGet();
                return 0;
            }
            persisting = true;
            for (int w = 0; w < kept.length; w++) {
                durable.set(w, kept[w]);
            }
            resolves.incrementAndGet();
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
        long[] words = new long[durable.length()];
        for (int w = 0; w < words.length; w++) {
            words[w] = durable.get(w);
        }
        return BitSet.valueOf(words).stream().asLongStream().toArray();
    }

    private void awaitPersist() throws RequestException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RequestException(Status.NOT_READY, "interrupted while the active chunks were persisted");
        }
    }

    private static boolean allSet(AtomicLongArray words, long first, long last) {
        for (long chunk = first; chunk <= last; chunk++) {
            if ((words.get((int) (chunk >>> 6)) & (1L << chunk)) == 0) {
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

    /** Sets the chunk's bit; one already set costs a read only, so hot chunks keep their cache line shared. */
    private static void set(AtomicLongArray words, long chunk) {
        int word = (int) (chunk >>> 6);
        long bit = 1L << chunk;
        if ((words.get(word) & bit) == 0) {
            words.getAndAccumulate(word, bit, (a, b) -> a | b);
        }
    }
}
