package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.sync.SyncPool;
import brmr.rmr.sync.SyncPools;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Verify of two legs in one process, over a real sync session on the loopback: member 1 compares its
 * chunks with member 2's, repairs a differing chunk by marking it dirty and syncing it back. Also the
 * sync's fetch of a run of chunks with one ReadChunks over that session.
 */
class TwoLegVerifyTest {
    private static final int CHUNK = 4096;
    private static final long SECTORS = 512;
    private static final UUID POOL_UUID = UUID.fromString("11111111-2222-4333-8444-555555555555");

    private final SessionLink client = new SessionLink() {
        @Override
        public String name() {
            return "c";
        }

        @Override
        public void close() {
        }
    };
    private ServerPool leg1;
    private ServerPool leg2;
    private PoolServer server2;
    private SyncPools sync1;

    private ServerPool normalPool(int member) throws Exception {
        ServerPools pools = new ServerPools(new SyncSettings(4, 0));
        ServerPool pool = pools.join("p1", member, CHUNK);
        pools.register("p1", new MemoryPoolStore(new StoreParams("p1", member, SECTORS, CHUNK, 512, true, POOL_UUID)),
                RegisterMode.ADD);
        pool.joinCompute(client, Message.JoinMode.ASSEMBLE, CHUNK);
        pool.enable(client);
        if (member == 2) {
            server2 = PoolServer.start(new InetSocketAddress("127.0.0.1", 0), pools);
        }
        return pool;
    }

    @BeforeEach
    void twoLegsWithTheSameData() throws Exception {
        leg1 = normalPool(1);
        leg2 = normalPool(2);
        sync1 = new SyncPools(PeerTimeout.ofDefault());
        SyncPool sync = sync1.join("p1", 1, CHUNK);
        sync.addSession("n2", server2.address());
        leg1.link(sync);
        byte[] data = new byte[(int) (SECTORS * 512)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + i / CHUNK);
        }
        leg1.write(0, MemorySegment.ofArray(data), List.of());
        leg2.write(0, MemorySegment.ofArray(data), List.of());
    }

    @AfterEach
    void tearDown() throws Exception {
        leg1.verify().stop();
        leg1.stopSync();
        sync1.close();
        server2.close();
    }

    private static <T> T await(Supplier<T> progress, java.util.function.Predicate<T> ended) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            T now = progress.get();
            if (ended.test(now)) {
                return now;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("did not end: " + progress.get());
    }

    private VerifyProgress verify(boolean repair) throws Exception {
        leg1.verify().start(0, null, repair);
        return await(() -> leg1.verify().progress(), p -> p.state() != VerifyProgress.State.RUNNING);
    }

    @Test
    void aPeerSuppliesARunOfChunksWithOneRequestAndRefusesARunWithADirtyChunk() throws Exception {
        SyncPool sync = sync1.get("p1");
        MemorySegment run = Arena.ofAuto().allocate(8L * CHUNK, 4096);
        assertEquals(8L * CHUNK, sync.fetchRun(4, 8, run));
        byte[] expected = new byte[8 * CHUNK];
        for (int chunk = 4; chunk < 12; chunk++) {
            System.arraycopy(TestChunks.readChunk(leg2, chunk), 0, expected, (chunk - 4) * CHUNK, CHUNK);
        }
        assertArrayEquals(expected, run.toArray(ValueLayout.JAVA_BYTE));

        leg2.markDirty(List.of(2), 9, 9);
        ChunkUnavailableException dirty = assertThrows(ChunkUnavailableException.class,
                () -> sync.fetchRun(4, 8, run));
        assertTrue(dirty.getMessage().startsWith("no reachable peer holds chunks 4..11 clean: "), dirty.getMessage());
        assertTrue(dirty.getMessage().contains("chunk 9 is dirty on member 2"), dirty.getMessage());

        RequestException tooMany = assertThrows(RequestException.class,
                () -> leg2.readChunks(0, RmrCodec.MAX_DATA_BYTES / CHUNK + 1, length -> run));
        assertEquals(Message.Status.INVALID, tooMany.status());
        assertEquals("ReadChunks count 16385 must be 1 to 16384 (67108864 bytes)", tooMany.getMessage());
        RequestException outside = assertThrows(RequestException.class, () -> leg2.readChunks(60, 8, length -> run));
        assertEquals(Message.Status.INVALID, outside.status());
        assertEquals("chunk 64 lies outside 0..63", outside.getMessage());
        RequestException overflow = assertThrows(RequestException.class,
                () -> leg2.readChunks(Long.MAX_VALUE, 2, length -> run));
        assertEquals(Message.Status.INVALID, overflow.status());
        assertEquals("chunk 9223372036854775807 lies outside 0..63", overflow.getMessage());
        RequestException farRead = assertThrows(RequestException.class,
                () -> TestChunks.read(leg2, Long.MAX_VALUE - 511, 512));
        assertEquals(Message.Status.INVALID, farRead.status());
        assertEquals(8L * CHUNK, sync.fetchRun(0, 8, run), "refusals leave the store serving");
    }

    @Test
    void identicalLegsVerifyClean() throws Exception {
        assertEquals("done: 64 chunks compared, 0 differ: []", verify(false).describe());
    }

    @Test
    void aChunkDirtyOnThePeerIsSkipped() throws Exception {
        leg2.markDirty(List.of(2), 10, 11);
        assertEquals("done: 62 chunks compared, 0 differ: [], 2 skipped", verify(false).describe());
    }

    @Test
    void aDifferingChunkIsFoundRepairedAndSyncedBack() throws Exception {
        leg2.write(3L * CHUNK + 512, MemorySegment.ofArray(new byte[512]), List.of());
        assertEquals("done: 64 chunks compared, 1 differ: [3]", verify(false).describe());
        assertEquals("done: 64 chunks compared, 1 differ: [3]", verify(true).describe());
        assertEquals(List.of(3L), Arrays.stream(leg1.dirtyMaps().getFirst().dirtyChunks()).boxed().toList(),
                "repair marked chunk 3 dirty for member 1");
        leg1.startSync();
        SyncProgress synced = await(() -> leg1.syncProgress().orElseThrow(),
                p -> p.state() != SyncProgress.State.RUNNING);
        assertEquals(SyncProgress.State.DONE, synced.state(), synced.describe(CHUNK));
        assertEquals("done: 64 chunks compared, 0 differ: []", verify(false).describe());
        assertArrayEquals(TestChunks.readChunk(leg2, 3), TestChunks.readChunk(leg1, 3));
    }
}
