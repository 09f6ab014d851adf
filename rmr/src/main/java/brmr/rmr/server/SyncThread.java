package brmr.rmr.server;

import brmr.rmr.map.DirtyMap;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.StringJoiner;
import java.util.TreeSet;
import org.tinylog.Logger;

/**
 * The sync thread of a pool: walks the chunks this member lacks and fetches them from peers that hold
 * them clean, {@code queueDepth} at a time, through the same {@link ChunkSync} as on-demand sync, so a
 * chunk is never fetched twice at once. A chunk that no reachable peer holds clean is skipped and
 * reported at the end (its bit stays set); any other failure stops it at once, with the reason;
 * start resumes.
 */
final class SyncThread {
    /** What the thread needs of its pool. */
    interface Pool {
        String name();

        int chunkSize();

        /** Null when the pool may sync now, else why not. */
        String whyNotSyncing();

        DirtyMap ownMap();

        ChunkSync chunkSync();

        ChunkSource peers();
    }

    /** At most this many skipped chunks are listed in the end state; the count is always exact. */
    private static final int SKIPPED_LISTED = 100;

    private final Pool pool;
    private final SyncSettings settings;
    private Thread thread;
    private volatile boolean stopRequested;
    private volatile SyncProgress.State state = SyncProgress.State.IDLE;
    private volatile String reason;
    private volatile long synced;
    private volatile long startDirty;
    private volatile long startNanos;
    private volatile long endNanos;

    SyncThread(Pool pool, SyncSettings settings) {
        this.pool = pool;
        this.settings = settings;
    }

    /** Starts (or resumes) the sync; refused when it already runs or the pool is not NORMAL. */
    synchronized void start() throws RequestException {
        if (state == SyncProgress.State.RUNNING) {
            throw new RequestException(brmr.rmr.protocol.Message.Status.REFUSED, "the sync of pool " + pool.name()
                    + " is already running");
        }
        String notNow = pool.whyNotSyncing();
        if (notNow != null) {
            throw new RequestException(brmr.rmr.protocol.Message.Status.NOT_READY, notNow);
        }
        stopRequested = false;
        reason = null;
        synced = 0;
        startDirty = pool.ownMap().dirtyCount();
        startNanos = System.nanoTime();
        state = SyncProgress.State.RUNNING;
        thread = Thread.ofVirtual().name("sync-" + pool.name()).start(this::run);
        Logger.info("pool {}: sync started, {} chunks to fetch, queue depth {}", pool.name(), startDirty,
                settings.queueDepth());
    }

    /** Asks the thread to stop after the chunks in flight; returns once it has. */
    void stop() {
        Thread running;
        synchronized (this) {
            running = thread;
            if (state != SyncProgress.State.RUNNING) {
                return;
            }
            stopRequested = true;
        }
        try {
            running.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        DirtyMap own = pool.ownMap();
        ChunkSync chunkSync = pool.chunkSync();
        SortedSet<Long> skipped = new TreeSet<>();
        long cursor = 0;
        long bytes = 0;
        try {
            while (true) {
                if (stopRequested) {
                    finish(SyncProgress.State.STOPPED, "stopped by the operator");
                    return;
                }
                String notNow = pool.whyNotSyncing();
                if (notNow != null) {
                    finish(SyncProgress.State.STOPPED, notNow);
                    return;
                }
                List<Long> batch = new ArrayList<>();
                for (long chunk = own.nextDirty(cursor); chunk >= 0 && batch.size() < settings.queueDepth();
                        chunk = own.nextDirty(chunk + 1)) {
                    if (!skipped.contains(chunk)) {
                        batch.add(chunk);
                    }
                }
                if (batch.isEmpty()) {
                    if (cursor == 0) {
                        finishPass(skipped);
                        return;
                    }
                    cursor = 0;
                    continue;
                }
                cursor = batch.getLast() + 1;
                throttle(bytes);
                Map<Long, ChunkUnavailableException> unavailable = chunkSync.syncBatch(batch, pool.peers());
                unavailable.forEach((chunk, why) -> Logger.warn("pool {}: sync skips chunk {}: {}", pool.name(), chunk,
                        why.getMessage()));
                skipped.addAll(unavailable.keySet());
                synced += batch.size() - unavailable.size();
                bytes += (long) (batch.size() - unavailable.size()) * pool.chunkSize();
            }
        } catch (IOException | RuntimeException e) {
            finish(SyncProgress.State.STOPPED, e.getMessage() != null ? e.getMessage() : e.toString());
        }
    }

    /** Done, unless chunks had to be skipped: then stopped, naming them. */
    private void finishPass(SortedSet<Long> skipped) {
        if (skipped.isEmpty()) {
            finish(SyncProgress.State.DONE, null);
            return;
        }
        StringJoiner list = new StringJoiner(" ", "[", "]");
        skipped.stream().limit(SKIPPED_LISTED).forEach(chunk -> list.add(Long.toString(chunk)));
        if (skipped.size() > SKIPPED_LISTED) {
            list.add("...");
        }
        finish(SyncProgress.State.STOPPED, skipped.size() + (skipped.size() == 1 ? " chunk" : " chunks")
                + " could not be fetched: " + list);
    }

    /** Sleeps as long as needed to keep to the configured rate. */
    private void throttle(long bytesSoFar) {
        if (settings.rateMibPerSecond() == 0) {
            return;
        }
        long dueNanos = (long) (bytesSoFar / (settings.rateMibPerSecond() * 1048576.0) * 1e9);
        long aheadNanos = dueNanos - (System.nanoTime() - startNanos);
        if (aheadNanos > 0) {
            try {
                Thread.sleep(Duration.ofNanos(aheadNanos));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private synchronized void finish(SyncProgress.State end, String why) {
        endNanos = System.nanoTime();
        reason = why;
        state = end;
        if (end == SyncProgress.State.DONE) {
            Logger.info("pool {}: sync done, {} chunks synced in {}", pool.name(), synced,
                    SyncProgress.clock(Duration.ofNanos(endNanos - startNanos)));
        } else {
            Logger.warn("pool {}: sync stopped after {} chunks: {}", pool.name(), synced, why);
        }
    }

    SyncProgress progress() {
        SyncProgress.State current = state;
        long now = current == SyncProgress.State.RUNNING ? System.nanoTime() : endNanos;
        Duration elapsed = current == SyncProgress.State.IDLE ? Duration.ZERO : Duration.ofNanos(now - startNanos);
        double seconds = elapsed.toNanos() / 1e9;
        double rate = seconds > 0 ? synced * (double) pool.chunkSize() / 1048576 / seconds : 0;
        DirtyMap own = pool.ownMap();
        return new SyncProgress(current, reason, synced, own.dirtyCount(), own.chunkCount(), startDirty, rate, elapsed);
    }
}
