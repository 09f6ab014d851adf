package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message.Status;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Unmap undoes a first map only while nothing could have been written under it. */
class UnmapTest {
    private static final int CHUNK = 4096;
    private static final StoreParams FRESH = new StoreParams("p1", 1, 64, CHUNK, 512, false, null);

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(FRESH);
    private final RecordingLink client = new RecordingLink("s1");

    private static String refusal(RequestExceptionCall call) {
        RequestException e = assertThrows(RequestException.class, call::run);
        assertEquals(Status.REFUSED, e.status());
        return e.getMessage();
    }

    @FunctionalInterface
    private interface RequestExceptionCall {
        void run() throws RequestException;
    }

    @Test
    void anUntouchedFirstMapIsUndone() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        assertEquals("the store of pool p1 on member 1 is mapped with pool UUID " + ServingPools.POOL_UUID + ", not "
                + new UUID(1, 2), refusal(() -> pool.unmap(new UUID(1, 2))));
        pool.unmap(ServingPools.POOL_UUID);
        assertFalse(store.params().mapped());
        assertEquals(null, store.params().poolUuid());
        assertEquals("the store of pool p1 on member 1 is not mapped", refusal(() -> pool.unmap(ServingPools.POOL_UUID)));
        pool.markMapped(ServingPools.POOL_UUID);
        assertTrue(store.params().mapped(), "the client may map again");
    }

    @Test
    void aStoreThatTookAWriteOrADirtyMarkStaysMapped() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        pool.write(0, MemorySegment.ofArray(new byte[512]), List.of());
        assertEquals("the store of pool p1 on member 1 stays mapped: it has taken writes since it was mapped",
                refusal(() -> pool.unmap(ServingPools.POOL_UUID)));
        assertTrue(store.params().mapped());

        ServerPools others = new ServerPools();
        MemoryPoolStore second = new MemoryPoolStore(FRESH);
        ServerPool marked = ServingPools.serving(others, second, new RecordingLink("s1"));
        marked.markDirty(List.of(2), 0, 0);
        assertEquals("the store of pool p1 on member 1 stays mapped: it has taken writes since it was mapped",
                refusal(() -> marked.unmap(ServingPools.POOL_UUID)));
    }

    @Test
    void aStoreMappedBeforeItWasAddedStaysMapped() throws Exception {
        store.persistMapped(ServingPools.POOL_UUID);
        ServerPool pool = pools.join("p1", 1, CHUNK);
        pools.register("p1", store, RegisterMode.ADD);
        assertEquals("the store of pool p1 on member 1 stays mapped: it was not mapped by this storage node since "
                + "the store was added", refusal(() -> pool.unmap(ServingPools.POOL_UUID)));
    }
}
