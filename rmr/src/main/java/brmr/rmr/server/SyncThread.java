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
 * them clean through a {@link SyncPipeline} ({@code queueDepth} fetches in flight, adjacent chunks
 * written together, one flush per window), claiming each in the same {@link ChunkSync} as on-demand
 * sync, so a chunk is never fetched twice at once. A chunk that no reachable peer holds clean is
 * skipped and reported at the end (its bit stays set); any other failure stops it at once, with the
 * reason; start resumes.
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
    /** Adjacent dirty chunks are written with one IO of up to this many bytes. */
    private static final int RUN_BYTES = 1 << 20;
    /** One flush (and bitmap update) per this many bytes written, at least per queue depth of chunks. */
    private static final int WINDOW_BYTES = 32 << 20;

    private final Pool pool;
    private final SyncSettings settings;
    private Thread thread;
    private volatile boolean stopRequested;
    private volatile SyncProgress.State state = SyncProgress.State.IDLE;
    private volatile String reason;
    private volatile long synced;
    /** Bytes handed to the pipeline since start, for the rate bound; only the sync thread uses it. */
    private long submittedBytes;
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
        submittedBytes = 0;
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
        SortedSet<Long> skipped = new TreeSet<>();
        try {
            while (true) {
                String why = whyStop();
                if (why != null) {
                    finish(SyncProgress.State.STOPPED, why);
                    return;
                }
                if (!pass(skipped)) {
                    finishPass(skipped);
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            finish(SyncProgress.State.STOPPED, e.getMessage() != null ? e.getMessage() : e.toString());
        } catch (InterruptedException e) {
            finish(SyncProgress.State.STOPPED, "interrupted");
        }
    }

    /** Null while the sync may go on, else why it stops. */
    private String whyStop() {
        return stopRequested ? "stopped by the operator" : pool.whyNotSyncing();
    }

    /**
     * One walk over the dirty chunks: claims those no one else fetches and feeds them to a pipeline in
     * runs of adjacent chunks; then waits for the chunks others were fetching. Returns false when there
     * was nothing left to sync but the skipped chunks.
     */
    private boolean pass(SortedSet<Long> skipped) throws IOException, InterruptedException {
        DirtyMap own = pool.ownMap();
        ChunkSync chunkSync = pool.chunkSync();
        int depth = settings.queueDepth();
        int maxRun = Math.clamp(RUN_BYTES / pool.chunkSize(), 1, depth);
        int window = Math.max(depth, WINDOW_BYTES / pool.chunkSize());
        List<Long> contested = new ArrayList<>();
        boolean claimed = false;
        try (SyncPipeline pipeline = new SyncPipeline(chunkSync, pool.peers(), depth, window, this::countSynced)) {
            long runFirst = -1;
            int runCount = 0;
            boolean go = true;   // checked once per run, not per chunk: whyNotSyncing asks the pool
            for (long chunk = own.nextDirty(0); chunk >= 0 && go; chunk = own.nextDirty(chunk + 1)) {
                if (skipped.contains(chunk)) {
                    continue;
                }
                if (!chunkSync.claim(chunk)) {
                    contested.add(chunk);
                    continue;
                }
                claimed = true;
                if (runCount > 0 && (chunk != runFirst + runCount || runCount == maxRun)) {
                    submit(pipeline, runFirst, runCount);
                    runCount = 0;
                    go = whyStop() == null && !pipeline.failed();
                }
                if (runCount == 0) {
                    runFirst = chunk;
                }
                runCount++;
            }
            if (runCount > 0) {
                submit(pipeline, runFirst, runCount);
            }
            pipeline.finish();
            skip(pipeline.takeUnavailable(), skipped);
        }
        if (!contested.isEmpty() && whyStop() == null) {
            // chunks an IO was fetching when we looked: wait for those fetches, or fetch them again
            Map<Long, ChunkUnavailableException> unavailable = chunkSync.syncBatch(contested, pool.peers());
            skip(unavailable, skipped);
            countSynced(contested.size() - unavailable.size());
        }
        return claimed || !contested.isEmpty();
    }

    private void submit(SyncPipeline pipeline, long first, int count) throws InterruptedException {
        throttle(submittedBytes);
        pipeline.submit(first, count);
        submittedBytes += (long) count * pool.chunkSize();
    }

    /** Called by one commit at a time (the pipeline serialises them), or by the sync thread. */
    private void countSynced(long chunks) {
        synced += chunks;
    }

    private void skip(Map<Long, ChunkUnavailableException> unavailable, SortedSet<Long> skipped) {
        unavailable.forEach((chunk, why) -> Logger.warn("pool {}: sync skips chunk {}: {}", pool.name(), chunk,
                why.getMessage()));
        skipped.addAll(unavailable.keySet());
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
