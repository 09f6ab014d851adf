package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ServerPoolTest {
    private static final StoreParams PARAMS = new StoreParams("p1", 1, 204800, 131072, 512, false, null);

    private final ServerPools pools = new ServerPools();

    @Test
    void joinRegisterUnregisterLeave() throws PoolException {
        ServerPool pool = pools.join("p1", 1, 131072);
        assertEquals(PoolState.EMPTY, pool.state());
        MemoryPoolStore store = new MemoryPoolStore(PARAMS);
        pools.register("p1", store, RegisterMode.CREATE);
        assertEquals(PoolState.REGISTERED, pool.state());
        assertEquals(RegisterMode.CREATE, pool.registerMode().orElseThrow());
        assertEquals("member 1: [] 0/800 dirty\n", pool.mapSummary());
        assertEquals("leave_pool: pool p1 has a store (memory:p1); remove or delete it first",
                assertThrows(PoolException.class, () -> pools.leave("p1")).getMessage());
        pools.unregister("p1");
        assertEquals(PoolState.EMPTY, pool.state());
        assertEquals("", pool.mapSummary());
        pools.leave("p1");
        assertEquals("pool: p1 is not joined on this node (write rmr-server/ctl/join_pool first)",
                assertThrows(PoolException.class, () -> pools.get("p1")).getMessage());
    }

    @Test
    void refusesSecondJoinSecondStoreAndChunkSizeMismatch() throws PoolException {
        pools.join("p1", 1, 131072);
        assertEquals("poolname: pool p1 is already joined (member 1)",
                assertThrows(PoolException.class, () -> pools.join("p1", 2, 131072)).getMessage());
        pools.register("p1", new MemoryPoolStore(PARAMS), RegisterMode.CREATE);
        assertEquals("pool: p1 already has a store (memory:p1)", assertThrows(PoolException.class,
                () -> pools.register("p1", new MemoryPoolStore(PARAMS), RegisterMode.ADD)).getMessage());
        pools.join("p2", 1, 65536);
        assertEquals("chunk_size: the store uses 131072, pool p2 was joined with 65536",
                assertThrows(PoolException.class, () -> pools.register("p2", new MemoryPoolStore(PARAMS),
                        RegisterMode.CREATE)).getMessage());
        assertEquals(PoolState.EMPTY, pools.get("p2").state());
        assertEquals("pool: p2 has no store", assertThrows(PoolException.class, () -> pools.unregister("p2")).getMessage());
    }

    @Test
    void discardMarksThisMemberAndPersistsOnce() throws PoolException {
        pools.join("p1", 1, 131072);
        MemoryPoolStore store = new MemoryPoolStore(PARAMS);
        pools.register("p1", store, RegisterMode.REPLACE);
        pools.discard("p1", LongStream.range(0, 800));
        String every = LongStream.range(0, 800).mapToObj(Long::toString).collect(Collectors.joining(" "));
        assertEquals("member 1: [" + every + "] 800/800 dirty\n", pools.get("p1").mapSummary());
        assertEquals(1, store.persistCalls);
        assertEquals(-1L, store.persisted(1)[0]);
        assertEquals(0xFFFFFFFFL, store.persisted(1)[12], "800 = 12 * 64 + 32");
        assertEquals("chunks: chunk 800 outside 0..799",
                assertThrows(PoolException.class, () -> pools.discard("p1", LongStream.of(800))).getMessage());
    }

    @Test
    void reAddRestoresPersistedMapsOfEveryMember() throws PoolException {
        pools.join("p1", 1, 131072);
        MemoryPoolStore store = new MemoryPoolStore(PARAMS);
        pools.register("p1", store, RegisterMode.CREATE);
        pools.discard("p1", LongStream.of(3, 4, 9));
        pools.unregister("p1");
        pools.register("p1", store, RegisterMode.ADD);
        assertEquals("member 1: [3 4 9] 3/800 dirty\n", pools.get("p1").mapSummary());
        assertArrayEquals(new long[] {3, 4, 9}, pools.get("p1").dirtyMaps().getFirst().dirtyChunks());
    }
}
