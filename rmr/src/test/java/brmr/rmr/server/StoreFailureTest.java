package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message.JoinMode;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Optional;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** A store whose disk fails: the pool stops serving it until the operator removes and re-adds it. */
class StoreFailureTest {
    private static final int CHUNK = 4096;
    private static final StoreParams FRESH = new StoreParams("p1", 1, 64, CHUNK, 512, false, null);
    private static final String FAILED = "store of pool p1 on member 1 failed: data write: memory:p1: "
            + "injected EIO; remove_store and add_store it again";

    private final ServerPools pools = new ServerPools();
    private final FailingPoolStore store = new FailingPoolStore(FRESH);
    private final RecordingLink client = new RecordingLink("s1");

    private static RequestException refused(RequestExceptionCall call) {
        return assertThrows(RequestException.class, call::run);
    }

    @FunctionalInterface
    private interface RequestExceptionCall {
        void run() throws RequestException;
    }

    @Test
    void aFailedWriteFailsTheStoreAndEveryLaterRequest() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        store.failWrites = new IOException("injected EIO");

        RequestException write = refused(() -> pool.write(0, MemorySegment.ofArray(new byte[512]), List.of()));
        assertEquals(Status.IO_ERROR, write.status());
        assertEquals(FAILED, write.getMessage());
        assertEquals(PoolState.NO_IO, pool.state());
        assertEquals(Optional.of("data write: memory:p1: injected EIO"), pool.storeFailure());

        store.failWrites = null;
        for (RequestExceptionCall later : List.<RequestExceptionCall>of(
                () -> TestChunks.read(pool, 0, 512),
                () -> pool.write(0, MemorySegment.ofArray(new byte[512]), List.of()),
                pool::flush,
                () -> pool.markDirty(List.of(2), 0, 0),
                () -> TestChunks.readChunk(pool, 0),
                () -> pool.chunkChecksum(0))) {
            RequestException e = refused(later);
            assertEquals(Status.IO_ERROR, e.status(), e.getMessage());
            assertEquals(FAILED, e.getMessage());
        }
        RequestException enable = refused(() -> pool.enable(client));
        assertEquals(Status.REFUSED, enable.status());
        assertEquals(FAILED, enable.getMessage());
    }

    @Test
    void noSessionJoinsAFailedStoreUntilItIsRemovedAndAddedAgain() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        store.failWrites = new IOException("injected EIO");
        refused(() -> pool.write(0, MemorySegment.ofArray(new byte[512]), List.of()));
        pool.computeSessionEnded(client);

        RecordingLink again = new RecordingLink("s1");
        RequestException join = refused(() -> pool.joinCompute(again, JoinMode.ASSEMBLE, CHUNK));
        assertEquals(Status.REFUSED, join.status());
        assertEquals(FAILED, join.getMessage());
        assertEquals(PoolState.NO_IO, pool.state());

        pools.unregister("p1");
        store.failWrites = null;
        pools.register("p1", store, RegisterMode.ADD);
        assertEquals(Optional.empty(), pool.storeFailure(), "a re-added store starts healthy");
        pool.joinCompute(again, JoinMode.ASSEMBLE, CHUNK);
        pool.enable(again);
        pool.write(0, MemorySegment.ofArray(new byte[512]), List.of());
    }

    @Test
    void aFailedDirtyMapPersistFailsTheStoreToo() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        store.failPersists = new IOException("injected ENOSPC");
        RequestException e = refused(() -> pool.write(0, MemorySegment.ofArray(new byte[512]), List.of(2)));
        assertEquals(Status.IO_ERROR, e.status());
        assertEquals("store of pool p1 on member 1 failed: dirty map of member 2: memory:p1: injected ENOSPC; "
                + "remove_store and add_store it again", e.getMessage());
        assertEquals(PoolState.NO_IO, pool.state());
    }

    @Test
    void aFailedSyncInstallStopsTheSyncWithTheReason() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        pool.link(new FixedPeer());
        pools.discard("p1", LongStream.of(3));
        store.failWrites = new IOException("injected EIO");
        pool.startSync();
        SyncProgress end = SyncProgressWait.awaitEnd(pool);
        assertEquals(SyncProgress.State.STOPPED, end.state());
        assertEquals("store of pool p1 on member 1 failed: sync write: memory:p1: injected EIO; remove_store and "
                + "add_store it again", end.reason());
        assertEquals(1, end.dirty(), "the chunk stays missing");
    }

    /** A peer that holds every chunk, all zeroes. */
    private static final class FixedPeer implements PeerLink {
        @Override
        public int fetch(long chunk, MemorySegment dst) {
            return TestChunks.put(new byte[CHUNK], dst);
        }

        @Override
        public void cleaned(long[] chunks) {
        }

        @Override
        public void lacking(long firstChunk, long lastChunk) {
        }
    }
}
