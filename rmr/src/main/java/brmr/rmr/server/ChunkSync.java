package brmr.rmr.server;

import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Sync of the chunks this member lacks, on demand (an IO touching a dirty chunk waits) and in batches
 * (the sync thread). Each chunk is fetched once at a time: every IO touching it meanwhile waits on
 * that fetch. A batch fetches its chunks in parallel, writes them, then makes them durable together:
 * one flush, then the dirty bits cleared and persisted, so no bit is cleared before its data is safe.
 * A chunk that no reachable peer holds clean is reported, not treated as a failure of the batch.
 * The sync thread's {@link SyncPipeline} claims chunks one by one instead ({@link #claim}) and ends
 * each claim with {@link #commit} or {@link #failed}.
 */
final class ChunkSync {
    /** The pool side of a sync: whether a chunk is dirty here, and how fetched chunks are stored. */
    interface Target {
        boolean isDirty(long chunk);

        /**
         * Writes {@code count} fetched adjacent chunks from {@code first} on, back to back in {@code data},
         * to the store as one IO (not yet durable).
         */
        void install(long first, int count, MemorySegment data) throws IOException;

        /** The bytes of a chunk (the last one of the store may hold fewer). */
        int chunkSize();

        /** Flushes the store, then clears and persists the dirty bits of {@code chunks}. */
        void commit(List<Long> chunks) throws IOException;
    }

    private final Target target;
    /** The fetch in progress per chunk; guarded by this. */
    private final Map<Long, CompletableFuture<Void>> fetching = new HashMap<>();

    ChunkSync(Target target) {
        this.target = target;
    }

    /** Returns once {@code chunk} is clean here, fetching it from {@code source} if no one else is. */
    void ensureClean(long chunk, ChunkSource source) throws IOException {
        if (!target.isDirty(chunk)) {
            return;   // the common case on every IO: no lock, nothing allocated
        }
        Map<Long, ChunkUnavailableException> unavailable = syncBatch(List.of(chunk), source);
        if (!unavailable.isEmpty()) {
            throw unavailable.get(chunk);
        }
    }

    /**
     * Takes the fetch of {@code chunk} if it is dirty here and no one is fetching it; false otherwise.
     * IOs touching it wait until the claim ends with {@link #commit} or {@link #failed}.
     */
    synchronized boolean claim(long chunk) {
        if (!target.isDirty(chunk) || fetching.containsKey(chunk)) {
            return false;
        }
        fetching.put(chunk, new CompletableFuture<>());
        return true;
    }

    /** Writes {@code count} claimed adjacent chunks from {@code first} on (fetched into {@code data}) as one IO; not yet durable. */
    void install(long first, int count, MemorySegment data) throws IOException {
        target.install(first, count, data);
    }

    int chunkSize() {
        return target.chunkSize();
    }

    /**
     * Makes installed claimed chunks durable (one flush), clears their bits and ends their claims;
     * on a failure the claims end with it and the chunks stay dirty.
     */
    void commit(List<Long> chunks) throws IOException {
        try {
            target.commit(chunks);
        } catch (IOException | RuntimeException e) {
            failed(chunks, e instanceof IOException io ? io : new IOException(e.toString(), e));
            throw e;
        }
        end(chunks, fetch -> fetch.complete(null));
    }

    /** Ends claims whose fetch or write failed: waiting IOs see {@code why}; the chunks stay dirty. */
    void failed(Collection<Long> chunks, IOException why) {
        end(chunks, fetch -> fetch.completeExceptionally(why));
    }

    private void end(Collection<Long> chunks, Consumer<CompletableFuture<Void>> how) {
        List<CompletableFuture<Void>> ended = new ArrayList<>();
        synchronized (this) {
            for (long chunk : chunks) {
                CompletableFuture<Void> fetch = fetching.remove(chunk);
                if (fetch != null) {
                    ended.add(fetch);
                }
            }
        }
        ended.forEach(how);
    }

    /**
     * Makes every chunk of {@code chunks} clean: fetches those no one else is fetching (in parallel),
     * waits for the others. Returns the chunks no reachable peer holds clean, with why; throws the
     * first other failure. Chunks that failed stay dirty.
     */
    Map<Long, ChunkUnavailableException> syncBatch(List<Long> chunks, ChunkSource source) throws IOException {
        Map<Long, CompletableFuture<Void>> mine = new LinkedHashMap<>();
        List<Long> theirs = new ArrayList<>();
        synchronized (this) {
            for (long chunk : chunks) {
                if (!target.isDirty(chunk) || mine.containsKey(chunk)) {
                    continue;
                }
                CompletableFuture<Void> fetch = fetching.get(chunk);
                if (fetch == null) {
                    fetch = new CompletableFuture<>();
                    fetching.put(chunk, fetch);
                    mine.put(chunk, fetch);
                } else {
                    theirs.add(chunk);
                }
            }
        }
        Map<Long, ChunkUnavailableException> unavailable = new LinkedHashMap<>();
        IOException failure = mine.isEmpty() ? null : fetchAndCommit(mine, source, unavailable);
        for (long chunk : theirs) {
            CompletableFuture<Void> fetch;
            synchronized (this) {
                fetch = fetching.get(chunk);
            }
            if (fetch != null) {
                try {
                    fetch.join();
                } catch (CompletionException e) {
                    if (e.getCause() instanceof ChunkUnavailableException none) {
                        unavailable.put(chunk, none);
                        continue;
                    }
                    failure = failure != null ? failure
                            : new IOException("chunk " + chunk + ": " + e.getCause().getMessage(), e.getCause());
                }
            }
            if (failure == null && target.isDirty(chunk)) {
                // the other fetch failed before we looked; fetch it ourselves
                unavailable.putAll(syncBatch(List.of(chunk), source));
            }
        }
        if (failure != null) {
            throw failure;
        }
        return unavailable;
    }

    private IOException fetchAndCommit(Map<Long, CompletableFuture<Void>> mine, ChunkSource source,
            Map<Long, ChunkUnavailableException> unavailable) {
        List<Long> installed = new ArrayList<>();
        IOException failure = null;
        try {
            Map<Long, Future<?>> fetches = new LinkedHashMap<>();
            try (ExecutorService parallel = Executors.newVirtualThreadPerTaskExecutor()) {
                for (long chunk : mine.keySet()) {
                    fetches.put(chunk, parallel.submit(() -> {
                        try (IoBuffer buffer = IoBuffers.shared().take(target.chunkSize())) {
                            int length = source.fetch(chunk, buffer.segment());
                            target.install(chunk, 1, buffer.segment().asSlice(0, length));
                        }
                        return null;
                    }));
                }
            }
            for (Map.Entry<Long, Future<?>> fetch : fetches.entrySet()) {
                try {
                    fetch.getValue().get();
                    installed.add(fetch.getKey());
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    IOException error = cause instanceof IOException io ? io : new IOException(cause.toString(), cause);
                    if (error instanceof ChunkUnavailableException none) {
                        unavailable.put(fetch.getKey(), none);
                    } else {
                        failure = failure != null ? failure : error;
                    }
                    mine.get(fetch.getKey()).completeExceptionally(error);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure = failure != null ? failure : new IOException("interrupted", e);
                }
            }
            if (!installed.isEmpty()) {
                target.commit(installed);
            }
            for (long chunk : installed) {
                mine.get(chunk).complete(null);
            }
        } catch (IOException | RuntimeException e) {
            IOException error = e instanceof IOException io ? io : new IOException(e.toString(), e);
            failure = failure != null ? failure : error;
            mine.values().forEach(fetch -> fetch.completeExceptionally(error));
        } finally {
            synchronized (this) {
                mine.keySet().forEach(fetching::remove);
            }
        }
        return failure;
    }

    /** Chunks being fetched right now (for tests and status). */
    synchronized int inFlight() {
        return fetching.size();
    }
}
