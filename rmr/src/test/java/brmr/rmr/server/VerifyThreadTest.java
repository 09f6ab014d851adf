package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The online verify against a pool and peers the test plays: no store, no sockets, no clock games. */
class VerifyThreadTest {
    private static final int CHUNKS = 100;

    /** Chunk c holds checksum c on every side unless a test says otherwise. */
    private static final class FakePool implements VerifyThread.Pool {
        final Map<Long, Integer> local = new ConcurrentHashMap<>();
        final Set<Long> dirtyHere = ConcurrentHashMap.newKeySet();
        final List<FakePeer> peers = new ArrayList<>();
        final List<Long> markedDirty = Collections.synchronizedList(new ArrayList<>());
        final Set<Long> asked = ConcurrentHashMap.newKeySet();
        volatile String notNow;
        volatile SyncSettings settings = new SyncSettings(8, 0);
        volatile int chunkSize = 4096;
        volatile long ioErrorAt = -1;

        @Override
        public String name() {
            return "p1";
        }

        @Override
        public int chunkSize() {
            return chunkSize;
        }

        @Override
        public long chunkCount() {
            return CHUNKS;
        }

        @Override
        public String whyNotVerifying() {
            return notNow;
        }

        @Override
        public SyncSettings settings() {
            return settings;
        }

        @Override
        public boolean isDirtyHere(long chunk) {
            return dirtyHere.contains(chunk);
        }

        @Override
        public int localChecksum(long chunk) throws RequestException {
            asked.add(chunk);
            if (chunk == ioErrorAt) {
                throw new RequestException(Message.Status.IO_ERROR, "pread of 4096 bytes at 12288 failed: EIO");
            }
            return local.getOrDefault(chunk, (int) chunk);
        }

        @Override
        public List<PeerChecksum> peerChecksums(long chunk) {
            return peers.stream().map(peer -> peer.answer(chunk)).toList();
        }

        @Override
        public void markOwnDirty(long[] chunks) {
            for (long chunk : chunks) {
                markedDirty.add(chunk);
                dirtyHere.add(chunk);
            }
        }
    }

    /** A peer that answers checksum c for chunk c, except where the test changes or withholds it. */
    private static final class FakePeer {
        final String name;
        final Map<Long, Integer> crc = new ConcurrentHashMap<>();
        final Set<Long> dirty = ConcurrentHashMap.newKeySet();
        /** Chunks whose first N answers are wrong: a write landed here and not yet on the other leg. */
        final Map<Long, AtomicInteger> wrongFor = new ConcurrentHashMap<>();
        volatile String unreachable;

        FakePeer(String name) {
            this.name = name;
        }

        PeerChecksum answer(long chunk) {
            if (unreachable != null) {
                return PeerChecksum.unreachable(name, unreachable);
            }
            if (dirty.contains(chunk)) {
                return PeerChecksum.dirty(name, "chunk " + chunk + " is dirty on member 2");
            }
            AtomicInteger wrong = wrongFor.get(chunk);
            if (wrong != null && wrong.getAndDecrement() > 0) {
                return PeerChecksum.of(name, 0xdead);
            }
            return PeerChecksum.of(name, crc.getOrDefault(chunk, (int) chunk));
        }
    }

    private final FakePool pool = new FakePool();
    private final FakePeer peer = new FakePeer("s2");
    private final VerifyThread verify = new VerifyThread(pool, 3, Duration.ZERO);

    VerifyThreadTest() {
        pool.peers.add(peer);
    }

    @AfterEach
    void stopVerify() {
        verify.stop();
    }

    /** Starts a verify and waits for its end. */
    private VerifyProgress run(long first, Long last, boolean repair) throws PoolException {
        verify.start(first, last, repair);
        return awaitEnd();
    }

    /** Starts a verify of 1 MiB chunks, one at a time, at 1 MiB/s: it pauses about a second after each. */
    private void startSlowVerify() throws PoolException {
        pool.chunkSize = 1 << 20;
        pool.settings = new SyncSettings(1, 1);
        verify.start(0, null, false);
        await(() -> verify.progress().compared() >= 1);
    }

    private VerifyProgress awaitEnd() {
        return await(() -> verify.progress().state() != VerifyProgress.State.RUNNING);
    }

    private VerifyProgress await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return verify.progress();
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("verify did not get there: " + verify.progress().describe());
    }

    @Test
    void idleBeforeAnyStart() {
        assertEquals("idle", verify.progress().describe());
        assertEquals(0, verify.progress().total());
    }

    @Test
    void identicalLegsHaveNoDifferingChunk() throws Exception {
        VerifyProgress done = run(0, null, false);
        assertEquals("done: 100 chunks compared, 0 differ: []", done.describe());
        assertEquals(100, done.total());
        assertEquals(100.0, done.percent());
    }

    @Test
    void aDifferingChunkIsFoundAndListed() throws Exception {
        peer.crc.put(42L, 7);
        pool.local.put(7L, 99);
        VerifyProgress done = run(0, null, false);
        assertEquals("done: 100 chunks compared, 2 differ: [7 42]", done.describe());
        assertEquals(List.of(7L, 42L), done.differing());
        assertEquals(List.of(), pool.markedDirty, "without repair nothing is marked");
    }

    @Test
    void aMismatchThatResolvesOnRecheckIsNotReported() throws Exception {
        peer.wrongFor.put(5L, new AtomicInteger(2));
        peer.wrongFor.put(6L, new AtomicInteger(4));
        VerifyProgress done = run(0, null, false);
        assertEquals("done: 100 chunks compared, 1 differ: [6]", done.describe(),
                "chunk 5 agreed on the second re-check; chunk 6 still differed after 3");
    }

    @Test
    void dirtyChunksOnEitherSideAreSkippedNotCompared() throws Exception {
        for (long chunk = 10; chunk < 20; chunk++) {
            pool.dirtyHere.add(chunk);
        }
        peer.dirty.add(30L);
        peer.crc.put(30L, 1234);
        VerifyProgress done = run(0, null, false);
        assertEquals("done: 89 chunks compared, 0 differ: [], 11 skipped", done.describe());
        assertEquals(100.0, done.percent());
    }

    @Test
    void onlyTheRangeIsVerified() throws Exception {
        peer.crc.put(5L, 0);
        peer.crc.put(15L, 0);
        VerifyProgress done = run(10, 19L, false);
        assertEquals("done: 10 chunks compared, 1 differ: [15]", done.describe());
        assertEquals(10, done.total());
        assertEquals(Set.of(10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L), pool.asked);
    }

    @Test
    void repairMarksTheDifferingChunksDirtyHere() throws Exception {
        peer.crc.put(3L, 0);
        peer.crc.put(64L, 0);
        VerifyProgress done = run(0, null, true);
        assertEquals("done: 100 chunks compared, 2 differ: [3 64]", done.describe());
        assertTrue(done.repair());
        assertEquals(List.of(3L, 64L), pool.markedDirty.stream().sorted().toList());
    }

    @Test
    void stopEndsARunPausedByTheRateBound() throws Exception {
        startSlowVerify();
        verify.stop();
        VerifyProgress stopped = verify.progress();
        assertEquals(VerifyProgress.State.STOPPED, stopped.state());
        assertEquals("stopped by the operator", stopped.reason());
        assertTrue(stopped.compared() < CHUNKS, "a 1 MiB/s verify of 100 MiB stops long before its end");
        assertTrue(stopped.describe().startsWith("stopped: stopped by the operator, "), stopped.describe());
    }

    @Test
    void aStopByThePoolSaysWhy() throws Exception {
        startSlowVerify();
        verify.stop("the store of pool p1 is being removed");
        assertEquals("the store of pool p1 is being removed", verify.progress().reason());
    }

    @Test
    void noPeerStopsWithTheReason() throws Exception {
        pool.peers.clear();
        VerifyProgress stopped = run(0, null, false);
        assertEquals(VerifyProgress.State.STOPPED, stopped.state());
        assertEquals("no peer could be asked for the checksum of chunk 0: no sync session to a peer is attached to "
                + "this pool", stopped.reason());
        assertEquals(0, stopped.compared());
    }

    @Test
    void anUnreachablePeerStopsWithTheReason() throws Exception {
        peer.unreachable = "session is failed (connection reset)";
        VerifyProgress stopped = run(0, null, false);
        assertEquals("no peer could be asked for the checksum of chunk 0: s2: session is failed (connection reset)",
                stopped.reason());
    }

    @Test
    void onlyReachablePeersAreCompared() throws Exception {
        FakePeer gone = new FakePeer("s3");
        gone.unreachable = "session is failed";
        pool.peers.add(gone);
        peer.crc.put(9L, 0);
        assertEquals("done: 100 chunks compared, 1 differ: [9]", run(0, null, false).describe());
    }

    @Test
    void aLocalIoErrorStopsWithTheReason() throws Exception {
        pool.ioErrorAt = 50;
        VerifyProgress stopped = run(0, null, false);
        assertEquals(VerifyProgress.State.STOPPED, stopped.state());
        assertEquals("chunk 50 could not be read here: pread of 4096 bytes at 12288 failed: EIO", stopped.reason());
        assertTrue(stopped.compared() >= 48 && stopped.compared() < 56, "the batches before chunk 50 count");
    }

    @Test
    void aPoolLeavingNormalStopsTheVerify() throws Exception {
        startSlowVerify();
        pool.notNow = "pool p1 is no_io; verify runs only in normal";
        VerifyProgress stopped = awaitEnd();
        assertEquals(VerifyProgress.State.STOPPED, stopped.state());
        assertEquals("pool p1 is no_io; verify runs only in normal", stopped.reason());
    }

    @Test
    void refusalsNameTheField() throws Exception {
        assertEquals("last: 100 is beyond the pool's 100 chunks (0..99)",
                assertThrows(PoolException.class, () -> verify.start(0, 100L, false)).getMessage());
        assertEquals("first: 100 is beyond the pool's 100 chunks (0..99)",
                assertThrows(PoolException.class, () -> verify.start(100, null, false)).getMessage());
        assertEquals("last: 4 is before first=5",
                assertThrows(PoolException.class, () -> verify.start(5, 4L, false)).getMessage());
        pool.notNow = "pool p1 is no_io; verify runs only in normal";
        assertEquals("verify: pool p1 is no_io; verify runs only in normal",
                assertThrows(PoolException.class, () -> verify.start(0, null, false)).getMessage());
        assertEquals("idle", verify.progress().describe(), "a refused start changes nothing");
        pool.notNow = null;
        startSlowVerify();
        assertEquals("verify: the verify of pool p1 is already running",
                assertThrows(PoolException.class, () -> verify.start(0, null, false)).getMessage());
    }

    /** The bound holds by construction: a batch starts only once the bytes before it are due at the rate. */
    @Test
    void theRateBoundHolds() throws Exception {
        int rate = 4;
        pool.chunkSize = 64 << 10;
        pool.settings = new SyncSettings(1, rate);
        VerifyProgress done = run(0, 31L, false);
        assertEquals("done: 32 chunks compared, 0 differ: []", done.describe());
        double mib = 32 * (64 << 10) / 1048576.0;
        double lastChunkMib = (64 << 10) / 1048576.0;
        double seconds = done.elapsed().toNanos() / 1e9;
        assertTrue(seconds >= (mib - lastChunkMib) / rate, "2 MiB at 4 MiB/s took only " + seconds + " s");
        assertTrue(done.mibPerSecond() <= rate * mib / (mib - lastChunkMib), done.mibPerSecond() + " MiB/s");
    }
}
