package brmr.rmr.server;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * On-demand sync of the chunks this member lacks: an IO that touches a dirty chunk waits while the
 * chunk is fetched from a peer and installed. Each chunk is fetched once at a time; every IO (and the
 * sync thread) touching it meanwhile waits on the same fetch, and re-checks afterwards.
 */
final class ChunkSync {
    /** The pool side of a fetch: whether a chunk is dirty here, and how a fetched chunk is made durable. */
    interface Target {
        boolean isDirty(long chunk);

        /** Writes the chunk, flushes, then clears and persists its dirty bit. */
        void install(long chunk, byte[] data) throws IOException;
    }

    private final Target target;
    private final Map<Long, CompletableFuture<Void>> fetching = new HashMap<>();

    ChunkSync(Target target) {
        this.target = target;
    }

    /** Returns once {@code chunk} is clean here, fetching it from {@code source} if no one else is. */
    void ensureClean(long chunk, ChunkSource source) throws IOException {
        while (true) {
            CompletableFuture<Void> fetch;
            boolean mine = false;
            synchronized (this) {
                if (!target.isDirty(chunk)) {
                    return;
                }
                fetch = fetching.get(chunk);
                if (fetch == null) {
                    fetch = new CompletableFuture<>();
                    fetching.put(chunk, fetch);
                    mine = true;
                }
            }
            if (mine) {
                fetchAndInstall(chunk, source, fetch);
                return;
            }
            try {
                fetch.join();
            } catch (CompletionException e) {
                throw new IOException("chunk " + chunk + ": " + e.getCause().getMessage(), e.getCause());
            }
        }
    }

    private void fetchAndInstall(long chunk, ChunkSource source, CompletableFuture<Void> fetch) throws IOException {
        try {
            target.install(chunk, source.fetch(chunk));
            fetch.complete(null);
        } catch (IOException | RuntimeException e) {
            fetch.completeExceptionally(e);
            throw e;
        } finally {
            synchronized (this) {
                fetching.remove(chunk);
            }
        }
    }

    /** Chunks being fetched right now (for tests and status). */
    synchronized int inFlight() {
        return fetching.size();
    }
}
