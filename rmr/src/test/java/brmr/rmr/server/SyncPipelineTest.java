package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.map.DirtyMap;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The sync thread's pipeline against a store the test records and peers the test plays. */
class SyncPipelineTest {
    private final DirtyMap own = new DirtyMap(1, 16);
    /** "write N" per chunk written, "flush [..]" per commit, in order. */
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    /** One entry per store write: first chunk and how many. */
    private final List<List<Long>> writes = Collections.synchronizedList(new ArrayList<>());
    private final List<List<Long>> commits = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch chunkOneWritten = new CountDownLatch(1);
    private volatile CountDownLatch firstFlushStarted = new CountDownLatch(0);
    private volatile CountDownLatch firstFlushRelease = new CountDownLatch(0);
    private final AtomicLong synced = new AtomicLong();
    /** The target's chunk size; 8 bytes keeps every run within one fetch piece. */
    private volatile int chunkSize = 8;
    /** The first byte of every chunk written, by chunk. */
    private final Map<Long, Byte> firstBytes = new ConcurrentHashMap<>();

    private final ChunkSync chunkSync = new ChunkSync(new ChunkSync.Target() {
        @Override
        public boolean isDirty(long chunk) {
            return own.isDirty(chunk);
        }

        @Override
        public void install(long first, int count, MemorySegment data) {
            writes.add(List.of(first, (long) count));
            for (int i = 0; i < count; i++) {
                firstBytes.put(first + i, data.get(ValueLayout.JAVA_BYTE, (long) i * chunkSize));
                events.add("write " + (first + i));
                if (first + i == 1) {
                    chunkOneWritten.countDown();
                }
            }
        }

        @Override
        public int chunkSize() {
            return chunkSize;
        }

        @Override
        public void commit(List<Long> chunks) throws IOException {
            if (commits.isEmpty()) {
                firstFlushStarted.countDown();
                await(firstFlushRelease, "the test to release the first flush");
            }
            events.add("flush " + chunks);
            commits.add(List.copyOf(chunks));
            chunks.forEach(own::clear);
        }
    });

    private static void await(CountDownLatch latch, String what) throws IOException {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IOException("timed out waiting for " + what);
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    private SyncPipeline pipeline(ChunkSource source, int queueDepth, int window) {
        return new SyncPipeline(chunkSync, source, queueDepth, window, synced::addAndGet);
    }

    /** Claims chunks first..first+count-1 (marked dirty) and submits them as one run. */
    private void submit(SyncPipeline pipeline, long first, int count) throws InterruptedException {
        for (long chunk = first; chunk < first + count; chunk++) {
            own.mark(chunk);
            assertTrue(chunkSync.claim(chunk), "chunk " + chunk + " claimed");
        }
        pipeline.submit(first, count);
    }

    @Test
    void fetchesOverlapAcrossARunBoundary() throws Exception {
        CountDownLatch chunkTwoStarted = new CountDownLatch(1);
        ChunkSource source = (chunk, dst) -> {
            if (chunk == 2) {
                chunkTwoStarted.countDown();
            }
            if (chunk == 0) {
                // a drain between runs would never start chunk 2 while chunk 0 is in flight
                await(chunkTwoStarted, "the fetch of chunk 2 while chunk 0 is in flight");
            }
            return TestChunks.put(new byte[8], dst);
        };
        try (SyncPipeline pipeline = pipeline(source, 2, 16)) {
            submit(pipeline, 0, 1);
            submit(pipeline, 1, 1);
            submit(pipeline, 2, 1);
            pipeline.finish();   // throws "timed out waiting for the fetch of chunk 2 ..." if the runs did not overlap
        }
        assertEquals(0, own.dirtyCount());
        assertEquals(3, synced.get());
    }

    @Test
    void aBitIsClearedOnlyByAFlushThatStartedAfterItsWrite() throws Exception {
        firstFlushStarted = new CountDownLatch(1);
        firstFlushRelease = new CountDownLatch(1);
        ChunkSource source = (chunk, dst) -> TestChunks.put(new byte[8], dst);
        try (SyncPipeline pipeline = pipeline(source, 4, 1)) {
            submit(pipeline, 0, 1);
            await(firstFlushStarted, "the commit of chunk 0");
            submit(pipeline, 1, 1);
            await(chunkOneWritten, "the write of chunk 1 during the flush of chunk 0");
            assertTrue(own.isDirty(1), "chunk 1, written during a flush, stays dirty");
            assertTrue(own.isDirty(0), "chunk 0 stays dirty until its flush returns");
            firstFlushRelease.countDown();
            pipeline.finish();
        }
        assertEquals(List.of(List.of(0L), List.of(1L)), commits, "chunk 1 waits for a flush that started after it");
        for (long chunk = 0; chunk <= 1; chunk++) {
            int written = events.indexOf("write " + chunk);
            int flushed = events.indexOf("flush [" + chunk + "]");
            assertTrue(written >= 0 && written < flushed, "chunk " + chunk + " written before its flush: " + events);
        }
        assertEquals(0, own.dirtyCount());
    }

    @Test
    void adjacentChunksAreWrittenWithOneIoAndFlushedOncePerWindow() throws Exception {
        try (SyncPipeline pipeline = pipeline((chunk, dst) -> TestChunks.put(new byte[8], dst), 8, 16)) {
            submit(pipeline, 4, 4);
            submit(pipeline, 8, 4);
            pipeline.finish();
        }
        assertEquals(List.of(List.of(4L, 4L), List.of(8L, 4L)), writes.stream().sorted((a, b) -> Long.compare(a.get(0),
                b.get(0))).toList(), "one write per run");
        assertEquals(1, commits.size(), "one flush for the window");
        assertEquals(8, commits.getFirst().size());
    }

    @Test
    void aFailureEndsThePipelineWithItsReasonAfterCommittingWhatArrived() throws Exception {
        ChunkSource source = (chunk, dst) -> {
            if (chunk == 2) {
                throw new IOException("peer s2 went away");
            }
            return TestChunks.put(new byte[8], dst);
        };
        SyncPipeline pipeline = pipeline(source, 8, 16);
        try (pipeline) {
            submit(pipeline, 0, 4);
            IOException e = assertThrows(IOException.class, pipeline::finish);
            assertEquals("peer s2 went away", e.getMessage());
        }
        assertTrue(pipeline.failed());
        assertEquals(List.of(List.of(0L, 2L), List.of(3L, 1L)), writes.stream().sorted((a, b) -> Long.compare(a.get(0),
                b.get(0))).toList(), "the stretches around the failed chunk, one write each");
        assertTrue(own.isDirty(2), "the failed chunk stays dirty");
        assertEquals(1, own.dirtyCount(), "what arrived is committed");
        assertTrue(chunkSync.claim(2), "the failed chunk's claim has ended: it can be fetched again");
    }

    /** A peer that answers single chunks and runs; every chunk's bytes are its number. */
    private final class RunSource implements ChunkSource {
        final List<String> requests = Collections.synchronizedList(new ArrayList<>());
        volatile long unavailable = -1;

        @Override
        public int fetch(long chunk, MemorySegment dst) throws IOException {
            requests.add("chunk " + chunk);
            if (chunk == unavailable) {
                throw new ChunkUnavailableException("no reachable peer holds chunk " + chunk + " clean");
            }
            dst.asSlice(0, chunkSize).fill((byte) chunk);
            return chunkSize;
        }

        @Override
        public long fetchRun(long first, int count, MemorySegment dst) throws IOException {
            requests.add("chunks " + first + "+" + count);
            if (unavailable >= first && unavailable < first + count) {
                throw new ChunkUnavailableException("no reachable peer holds chunks " + first + ".." + (first + count
                        - 1) + " clean");
            }
            for (int i = 0; i < count; i++) {
                dst.asSlice((long) i * chunkSize, chunkSize).fill((byte) (first + i));
            }
            return (long) count * chunkSize;
        }
    }

    @Test
    void aRunIsFetchedInPiecesOfOneRequestEachAndEachChunkLandsInItsPlace() throws Exception {
        chunkSize = SyncPipeline.PIECE_BYTES / 4;
        RunSource source = new RunSource();
        try (SyncPipeline pipeline = pipeline(source, 16, 16)) {
            submit(pipeline, 0, 10);
            pipeline.finish();
        }
        assertEquals(List.of("chunks 0+4", "chunks 4+4", "chunks 8+2"), source.requests.stream().sorted().toList());
        assertEquals(List.of(List.of(0L, 10L)), writes, "one write for the whole run");
        for (long chunk = 0; chunk < 10; chunk++) {
            assertEquals((byte) chunk, firstBytes.get(chunk), "chunk " + chunk + " in its place");
        }
        assertEquals(0, own.dirtyCount());
    }

    @Test
    void aPieceHoldingAChunkNoPeerHasCleanIsFetchedAgainChunkByChunk() throws Exception {
        chunkSize = SyncPipeline.PIECE_BYTES / 4;
        RunSource source = new RunSource();
        source.unavailable = 5;
        try (SyncPipeline pipeline = pipeline(source, 16, 16)) {
            submit(pipeline, 0, 8);
            pipeline.finish();
            assertFalse(pipeline.failed());
            assertEquals(List.of(5L), List.copyOf(pipeline.takeUnavailable().keySet()));
        }
        assertEquals(List.of("chunk 4", "chunk 5", "chunk 6", "chunk 7", "chunks 0+4", "chunks 4+4"),
                source.requests.stream().sorted().toList());
        assertTrue(own.isDirty(5));
        assertEquals(1, own.dirtyCount());
        assertEquals((byte) 7, firstBytes.get(7L));
    }

    @Test
    void aChunkNoPeerHoldsCleanIsReportedNotAFailure() throws Exception {
        ChunkSource source = (chunk, dst) -> {
            if (chunk == 1) {
                throw new ChunkUnavailableException("no reachable peer holds chunk 1 clean");
            }
            return TestChunks.put(new byte[8], dst);
        };
        try (SyncPipeline pipeline = pipeline(source, 8, 16)) {
            submit(pipeline, 0, 3);
            pipeline.finish();
            assertFalse(pipeline.failed());
            assertEquals(List.of(1L), List.copyOf(pipeline.takeUnavailable().keySet()));
        }
        assertEquals(1, own.dirtyCount());
        assertEquals(2, synced.get());
    }

    @Test
    void anIoOnAChunkInThePipelineWaitsForItsCommit() throws Exception {
        firstFlushStarted = new CountDownLatch(1);
        firstFlushRelease = new CountDownLatch(1);
        CompletableFuture<Throwable> io = new CompletableFuture<>();
        try (SyncPipeline pipeline = pipeline((chunk, dst) -> TestChunks.put(new byte[8], dst), 4, 1)) {
            submit(pipeline, 5, 1);
            await(firstFlushStarted, "the commit of chunk 5");
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    chunkSync.ensureClean(5, (chunk, dst) -> {
                        throw new IOException("chunk 5 fetched twice");
                    });
                    io.complete(null);
                } catch (Throwable t) {
                    io.complete(t);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (waiter.getState() != Thread.State.WAITING && !io.isDone() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertFalse(io.isDone(), "the IO waits while chunk 5 is not durable");
            assertEquals(Thread.State.WAITING, waiter.getState());
            firstFlushRelease.countDown();
            assertEquals(null, io.get(10, TimeUnit.SECONDS));
            pipeline.finish();
        }
        assertFalse(own.isDirty(5));
    }
}
