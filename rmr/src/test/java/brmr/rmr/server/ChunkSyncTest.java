package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.map.DirtyMap;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ChunkSyncTest {
    private final DirtyMap own = new DirtyMap(1, 16);
    private final List<Long> installed = Collections.synchronizedList(new ArrayList<>());
    private final ChunkSync sync = new ChunkSync(new ChunkSync.Target() {
        @Override
        public boolean isDirty(long chunk) {
            return own.isDirty(chunk);
        }

        @Override
        public void install(long first, int count, MemorySegment data) {
            for (int i = 0; i < count; i++) {
                installed.add(first + i);
            }
        }

        @Override
        public int chunkSize() {
            return 8;
        }

        @Override
        public void commit(List<Long> chunks) {
            commits.add(List.copyOf(chunks));
            chunks.forEach(own::clear);
        }
    });
    private final List<List<Long>> commits = Collections.synchronizedList(new ArrayList<>());

    private static final ChunkSource NO_PEER = (chunk, dst) -> {
        throw new IOException("no peer is reachable to supply chunk " + chunk);
    };

    /** A peer whose answers the test releases. */
    private static final class GatedSource implements ChunkSource {
        final AtomicInteger fetches = new AtomicInteger();
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean fail;

        @Override
        public int fetch(long chunk, MemorySegment dst) throws IOException {
            fetches.incrementAndGet();
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            if (fail) {
                throw new IOException("peer went away");
            }
            return TestChunks.put(new byte[8], dst);
        }
    }

    private CompletableFuture<Throwable> ensureCleanAsync(long chunk, ChunkSource source) {
        CompletableFuture<Throwable> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                sync.ensureClean(chunk, source);
                done.complete(null);
            } catch (Throwable t) {
                done.complete(t);
            }
        });
        return done;
    }

    @Test
    void cleanChunkNeedsNoFetch() throws IOException {
        sync.ensureClean(3, NO_PEER);
        assertEquals(List.of(), installed);
    }

    @Test
    void iosOnOneDirtyChunkWaitForASingleFetch() throws Exception {
        own.mark(5);
        GatedSource source = new GatedSource();
        CompletableFuture<Throwable> first = ensureCleanAsync(5, source);
        assertTrue(source.started.await(10, TimeUnit.SECONDS));
        List<CompletableFuture<Throwable>> waiters = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            waiters.add(ensureCleanAsync(5, source));
        }
        assertFalse(first.isDone(), "the fetching IO waits for the peer");
        assertEquals(1, sync.inFlight());
        source.release.countDown();
        assertEquals(null, first.get(10, TimeUnit.SECONDS));
        for (CompletableFuture<Throwable> waiter : waiters) {
            assertEquals(null, waiter.get(10, TimeUnit.SECONDS));
        }
        assertEquals(1, source.fetches.get(), "a chunk is never fetched twice at once");
        assertEquals(List.of(5L), installed);
        assertFalse(own.isDirty(5));
        assertEquals(0, sync.inFlight());
    }

    @Test
    void aFailedFetchFailsEveryWaiterAndTheNextIoTriesAgain() throws Exception {
        own.mark(7);
        GatedSource source = new GatedSource();
        source.fail = true;
        CompletableFuture<Throwable> first = ensureCleanAsync(7, source);
        assertTrue(source.started.await(10, TimeUnit.SECONDS));
        CompletableFuture<Throwable> waiter = ensureCleanAsync(7, source);
        source.release.countDown();
        assertEquals("peer went away", first.get(10, TimeUnit.SECONDS).getMessage());
        assertEquals("chunk 7: peer went away", waiter.get(10, TimeUnit.SECONDS).getMessage());
        assertTrue(own.isDirty(7), "a chunk stays dirty until its data is installed");
        assertThrows(IOException.class, () -> sync.ensureClean(7, NO_PEER));
        sync.ensureClean(7, (chunk, dst) -> TestChunks.put(new byte[8], dst));
        assertFalse(own.isDirty(7));
        assertEquals(List.of(7L), installed);
    }

    @Test
    void aBatchFetchesInParallelAndCommitsOnceSkippingCleanChunks() throws Exception {
        own.mark(1);
        own.mark(3);
        own.mark(4);
        CountDownLatch all = new CountDownLatch(3);
        ChunkSource source = (chunk, dst) -> {
            all.countDown();
            try {
                all.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return TestChunks.put(new byte[8], dst);
        };
        sync.syncBatch(List.of(1L, 2L, 3L, 4L), source);
        assertEquals(List.of(List.of(1L, 3L, 4L)), commits, "one commit for the batch, clean chunk 2 skipped");
        assertEquals(0, own.dirtyCount());
    }

    @Test
    void aBatchCommitsWhatArrivedAndReportsWhatDidNot() {
        own.mark(1);
        own.mark(2);
        ChunkSource source = (chunk, dst) -> {
            if (chunk == 2) {
                throw new IOException("no peer holds chunk 2 clean");
            }
            return TestChunks.put(new byte[8], dst);
        };
        IOException e = assertThrows(IOException.class, () -> sync.syncBatch(List.of(1L, 2L), source));
        assertEquals("no peer holds chunk 2 clean", e.getMessage());
        assertEquals(List.of(List.of(1L)), commits);
        assertTrue(own.isDirty(2));
        assertFalse(own.isDirty(1));
    }

    @Test
    void differentChunksAreFetchedInParallel() throws Exception {
        own.mark(1);
        own.mark(2);
        CountDownLatch both = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        ChunkSource source = (chunk, dst) -> {
            both.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            return TestChunks.put(new byte[8], dst);
        };
        CompletableFuture<Throwable> a = ensureCleanAsync(1, source);
        CompletableFuture<Throwable> b = ensureCleanAsync(2, source);
        assertTrue(both.await(10, TimeUnit.SECONDS), "both fetches are in flight together");
        assertEquals(2, sync.inFlight());
        release.countDown();
        assertEquals(null, a.get(10, TimeUnit.SECONDS));
        assertEquals(null, b.get(10, TimeUnit.SECONDS));
    }
}
