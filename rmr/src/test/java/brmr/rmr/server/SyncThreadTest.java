package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** The sync thread of a replaced member, against a store in memory and a peer the test plays. */
class SyncThreadTest {
    private static final int CHUNK = 4096;
    private static final StoreParams PARAMS = new StoreParams("p1", 1, 800, CHUNK, 512, true,
            UUID.fromString("11111111-2222-4333-8444-555555555555"));

    /** A peer that holds chunk c filled with byte c, and can be made to fail from some chunk on. */
    private static final class Peer implements PeerLink {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger maxInFlight = new AtomicInteger();
        final List<Long> cleaned = Collections.synchronizedList(new ArrayList<>());
        volatile long failFrom = Long.MAX_VALUE;
        final Set<Long> heldDirty = ConcurrentHashMap.newKeySet();

        @Override
        public int fetch(long chunk, MemorySegment dst) throws IOException {
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                if (chunk >= failFrom) {
                    throw new IOException("peer s2 went away");
                }
                if (heldDirty.contains(chunk)) {
                    throw new ChunkUnavailableException("no reachable peer holds chunk " + chunk + " clean");
                }
                byte[] data = new byte[CHUNK];
                java.util.Arrays.fill(data, (byte) chunk);
                return TestChunks.put(data, dst);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        @Override
        public void cleaned(long[] chunks) {
            for (long chunk : chunks) {
                cleaned.add(chunk);
            }
        }

        @Override
        public void lacking(long firstChunk, long lastChunk) {
        }
    }

    private final RecordingLink client = new RecordingLink("c");

    private ServerPool replacedPool(Peer peer, SyncSettings settings) throws Exception {
        ServerPools pools = new ServerPools(settings);
        ServerPool pool = pools.join("p1", 1, CHUNK);
        pools.register("p1", new MemoryPoolStore(PARAMS), RegisterMode.REPLACE);
        pool.link(peer);
        pools.discard("p1", LongStream.range(0, 100));
        pool.joinCompute(client, Message.JoinMode.ASSEMBLE, CHUNK);
        return pool;
    }

    private static SyncProgress awaitEnd(ServerPool pool) throws InterruptedException {
        return SyncProgressWait.awaitEnd(pool);
    }

    @Test
    void syncsOnlyInNormal() throws Exception {
        ServerPool pool = replacedPool(new Peer(), new SyncSettings(8, 0));
        pool.computeSessionEnded(client);
        RequestException e = assertThrows(RequestException.class, pool::startSync);
        assertEquals("pool p1 is no_io; sync runs only in normal", e.getMessage());
    }

    @Test
    void aStartWhileTheClientIsAboutToEnableThePoolWaitsForIt() throws Exception {
        ServerPool pool = replacedPool(new Peer(), new SyncSettings(8, 0));
        CompletableFuture<Void> start = CompletableFuture.runAsync(() -> {
            try {
                pool.startSync();
            } catch (RequestException e) {
                throw new CompletionException(e);
            }
        });
        assertThrows(TimeoutException.class, () -> start.get(200,
                TimeUnit.MILLISECONDS), "the start waits while the pool is no_io");
        pool.enable(client);
        start.get(10, TimeUnit.SECONDS);
        SyncProgress done = awaitEnd(pool);
        assertEquals(SyncProgress.State.DONE, done.state(), done.describe(CHUNK));
        assertEquals(100, done.synced());
    }

    @Test
    void fetchesEveryChunkWithinTheQueueDepthAndTellsPeers() throws Exception {
        Peer peer = new Peer();
        ServerPool pool = replacedPool(peer, new SyncSettings(8, 0));
        pool.enable(client);
        pool.startSync();
        SyncProgress done = awaitEnd(pool);
        assertEquals(SyncProgress.State.DONE, done.state(), done.describe(CHUNK));
        assertEquals(100, done.synced());
        assertEquals(0, done.dirty());
        assertEquals(100.0, done.percent());
        assertTrue(peer.maxInFlight.get() <= 8, "at most queue depth requests in flight");
        assertEquals(100, peer.cleaned.size());
        assertEquals(42, TestChunks.read(pool, 42 * CHUNK, 512)[0]);
        assertTrue(done.describe(CHUNK).startsWith("done: 100/100 chunks clean, 100 synced in "), done.describe(CHUNK));
    }

    @Test
    void stopsOnAFailureWithTheReasonAndResumes() throws Exception {
        Peer peer = new Peer();
        peer.failFrom = 50;
        ServerPool pool = replacedPool(peer, new SyncSettings(4, 0));
        pool.enable(client);
        pool.startSync();
        SyncProgress stopped = awaitEnd(pool);
        assertEquals(SyncProgress.State.STOPPED, stopped.state());
        assertEquals("peer s2 went away", stopped.reason());
        assertEquals(50, stopped.dirty(), "chunks 50..99 still missing, nothing cleared without its data");
        peer.failFrom = Long.MAX_VALUE;
        pool.startSync();
        SyncProgress done = awaitEnd(pool);
        assertEquals(SyncProgress.State.DONE, done.state());
        assertEquals(50, done.synced(), "the resumed sync fetches only what is left");
    }

    @Test
    void skipsChunksNoPeerHoldsCleanAndReportsThem() throws Exception {
        Peer peer = new Peer();
        peer.heldDirty.addAll(List.of(12L, 80L, 81L));
        ServerPool pool = replacedPool(peer, new SyncSettings(8, 0));
        pool.enable(client);
        pool.startSync();
        SyncProgress stopped = awaitEnd(pool);
        assertEquals(SyncProgress.State.STOPPED, stopped.state());
        assertEquals("3 chunks could not be fetched: [12 80 81]", stopped.reason());
        assertEquals(97, stopped.synced(), "every other chunk was synced");
        assertEquals("member 1: [12 80 81] 3/100 dirty\n", pool.mapSummary().lines().findFirst().orElseThrow() + "\n",
                "the skipped chunks stay dirty");
        assertTrue(stopped.describe(CHUNK).startsWith("stopped: 3 chunks could not be fetched: [12 80 81] ("),
                stopped.describe(CHUNK));

        peer.heldDirty.clear();
        pool.startSync();
        SyncProgress done = awaitEnd(pool);
        assertEquals(SyncProgress.State.DONE, done.state(), done.describe(CHUNK));
        assertEquals(3, done.synced());
    }
}
