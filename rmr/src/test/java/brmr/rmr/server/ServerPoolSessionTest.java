package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.JoinMode;
import brmr.rmr.protocol.Message.Status;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Session states and IO of a server pool, driven as ServerSession drives it. */
class ServerPoolSessionTest {
    private static final int CHUNK = 4096;
    private static final StoreParams FRESH = new StoreParams("p1", 1, 64, CHUNK, 512, false, null);
    private static final UUID POOL_UUID = UUID.fromString("11111111-2222-4333-8444-555555555555");

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(FRESH);

    private ServerPool pool() throws PoolException {
        ServerPool pool = pools.join("p1", 1, CHUNK);
        pools.register("p1", store, RegisterMode.CREATE);
        return pool;
    }

    private static Status status(RequestExceptionCall call) {
        return assertThrows(RequestException.class, call::run).status();
    }

    @FunctionalInterface
    private interface RequestExceptionCall {
        void run() throws RequestException;
    }

    @Test
    void emptyPoolTakesNoSession() throws Exception {
        ServerPool pool = pools.join("p1", 1, CHUNK);
        RequestException e = assertThrows(RequestException.class,
                () -> pool.joinCompute(new RecordingLink("s1"), JoinMode.CREATE, CHUNK));
        assertEquals("pool p1 on member 1 has no store; no session may join an empty pool", e.getMessage());
        assertEquals(PoolState.EMPTY, pool.state());
    }

    @Test
    void maintenanceTakesThePoolOutOfServiceUntilTheClientEnablesIt() throws Exception {
        RecordingLink link = new RecordingLink("s1");
        ServerPool pool = ServingPools.serving(pools, store, link);
        assertEquals(Status.REFUSED, status(() -> pool.maintenance(new RecordingLink("other"))),
                "only the pool's own compute session");
        assertEquals(PoolState.NORMAL, pool.state());
        pool.maintenance(link);
        assertEquals(PoolState.NO_IO, pool.state());
        assertEquals("no_io", pool.state().label());
        long start = System.nanoTime();
        assertEquals("pool p1 is no_io; sync runs only in normal",
                assertThrows(RequestException.class, pool::startSync).getMessage());
        assertTrue(System.nanoTime() - start < ServerPool.SYNC_START_WAIT.toNanos() / 2,
                "a sync start in maintenance is refused at once, not after waiting for the client");
        pool.enable(link);
        assertEquals(PoolState.NORMAL, pool.state());
    }

    @Test
    void createJoinEnableMapThenIo() throws Exception {
        ServerPool pool = pool();
        RecordingLink link = new RecordingLink("s1");
        assertEquals(Status.REFUSED, status(() -> pool.joinCompute(link, JoinMode.ASSEMBLE, CHUNK)),
                "a store registered in create mode takes only a create-mode join");
        assertEquals(Status.REFUSED, status(() -> pool.joinCompute(link, JoinMode.CREATE, 8192)));
        Message.HelloOk ok = pool.joinCompute(link, JoinMode.CREATE, CHUNK);
        assertEquals(1, ok.memberId());
        assertEquals(PoolState.CREATED, pool.state());
        assertEquals(Status.REFUSED, status(() -> pool.joinCompute(new RecordingLink("s9"), JoinMode.CREATE, CHUNK)),
                "one compute client per pool");
        pool.enable(link);
        assertEquals(PoolState.NORMAL, pool.state());
        RequestException unmapped = assertThrows(RequestException.class, () -> TestChunks.read(pool, 0, 512));
        assertEquals("the store of pool p1 on member 1 is not mapped yet", unmapped.getMessage());
        pool.markMapped(POOL_UUID);
        byte[] data = new byte[1024];
        data[0] = 42;
        pool.write(512, MemorySegment.ofArray(data), List.of());
        assertArrayEquals(data, TestChunks.read(pool, 512, 1024));
        assertEquals(Status.INVALID, status(() -> TestChunks.read(pool, 100, 512)), "unaligned");
        assertEquals(Status.INVALID, status(() -> TestChunks.read(pool, 32768 - 512, 1024)), "beyond the end");
        assertEquals(Status.REFUSED, status(() -> pool.markMapped(UUID.randomUUID())), "mapped with another UUID");
    }

    @Test
    void lostClientMeansNoIoUntilAssembledAndEnabled() throws Exception {
        ServerPool pool = pool();
        RecordingLink first = new RecordingLink("s1");
        pool.joinCompute(first, JoinMode.CREATE, CHUNK);
        pool.enable(first);
        pool.markMapped(POOL_UUID);
        pool.computeSessionEnded(first);
        assertEquals(PoolState.NO_IO, pool.state());
        assertEquals(Status.NOT_READY, status(() -> TestChunks.read(pool, 0, 512)));
        RecordingLink again = new RecordingLink("s1");
        assertEquals(Status.REFUSED, status(() -> pool.joinCompute(again, JoinMode.CREATE, CHUNK)),
                "a mapped store takes only an assemble join");
        pool.joinCompute(again, JoinMode.ASSEMBLE, CHUNK);
        assertEquals(PoolState.NO_IO, pool.state());
        pool.enable(again);
        assertEquals(PoolState.NORMAL, pool.state());
        pools.unregister("p1");
        assertTrue(again.closed, "removing the store ends the client's session");
        assertEquals(PoolState.EMPTY, pool.state());
    }

    @Test
    void dirtyMarksPersistAndMapUpdatesKeepWhatThisMemberLacks() throws Exception {
        ServerPool pool = pool();
        RecordingLink link = new RecordingLink("s1");
        pool.joinCompute(link, JoinMode.CREATE, CHUNK);
        pool.enable(link);
        pool.markMapped(POOL_UUID);
        pool.write(3 * CHUNK, MemorySegment.ofArray(new byte[CHUNK + 512]), List.of(2, 3));
        pool.markDirty(List.of(2), 6, 7);
        assertEquals("member 1: [] 0/8 dirty\nmember 2: [3 4 6 7] 4/8 dirty\nmember 3: [3 4] 2/8 dirty\n",
                pool.mapSummary());
        assertEquals(0b11011000L, store.persisted(2)[0], "marks reach the store");
        assertEquals(Status.INVALID, status(() -> pool.markDirty(List.of(2), 7, 8)));
        pool.chunksClean(2, new long[] {3, 6});
        assertEquals("member 1: [] 0/8 dirty\nmember 2: [4 7] 2/8 dirty\nmember 3: [3 4] 2/8 dirty\n",
                pool.mapSummary());
        assertEquals(0b10010000L, store.persisted(2)[0]);

        pool.discard(java.util.stream.LongStream.of(2));
        pool.mapUpdate(new Message.Maps(8, List.of(new Message.MemberMap(1, new long[] {0b1}),
                new Message.MemberMap(3, new long[] {0b100000}))));
        assertEquals("member 1: [0 2] 2/8 dirty\nmember 2: [] 0/8 dirty\nmember 3: [5] 1/8 dirty\n", pool.mapSummary(),
                "own bits only grow; other members take the update");
        assertEquals(0b101L, store.persisted(1)[0]);
        assertEquals(0L, store.persisted(2)[0]);
    }

    @Test
    void ioOnAChunkThisMemberLacksFetchesItFirst() throws Exception {
        ServerPool pool = pool();
        RecordingLink link = new RecordingLink("s1");
        pool.joinCompute(link, JoinMode.CREATE, CHUNK);
        pool.enable(link);
        pool.markMapped(POOL_UUID);
        pool.discard(java.util.stream.LongStream.of(1));
        RequestException dirty = assertThrows(RequestException.class, () -> TestChunks.read(pool, CHUNK, 512));
        assertEquals(Status.DIRTY, dirty.status());
        List<Long> cleaned = new ArrayList<>();
        byte[] remote = new byte[CHUNK];
        java.util.Arrays.fill(remote, (byte) 7);
        pool.link(new PeerLink() {
            @Override
            public int fetch(long chunk, MemorySegment dst) {
                return TestChunks.put(remote.clone(), dst);
            }

            @Override
            public void cleaned(long[] chunks) {
                java.util.Arrays.stream(chunks).forEach(cleaned::add);
            }

            @Override
            public void lacking(long firstChunk, long lastChunk) {
            }
        });
        assertEquals(7, TestChunks.read(pool, CHUNK + 512, 512)[0]);
        assertEquals(List.of(1L), cleaned);
        assertEquals("member 1: [] 0/8 dirty\n", pool.mapSummary());
        assertEquals(0L, store.persisted(1)[0], "the clear is persisted after the data");
    }

    @Test
    void anAlignedNativeWriteReachesTheStoreUncopiedAndAnyOtherThroughAnAlignedCopy() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, new RecordingLink("s1"));
        MemorySegment aligned = Arena.ofAuto().allocate(1024, 4096);
        aligned.fill((byte) 5);
        pool.write(512, aligned, List.of());
        assertEquals(aligned.address(), store.lastWritten.address(), "the received buffer itself is written");

        byte[] bytes = new byte[1024];
        java.util.Arrays.fill(bytes, (byte) 6);
        pool.write(2048, MemorySegment.ofArray(bytes), List.of());
        MemorySegment written = store.lastWritten;
        assertTrue(written.isNative() && written.address() % 4096 == 0, "a heap segment goes through an aligned copy");
        assertArrayEquals(bytes, TestChunks.read(pool, 2048, 1024));
        assertEquals(5, TestChunks.read(pool, 512, 512)[0]);
    }
}
