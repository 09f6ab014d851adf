package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Removing a store waits for the IO in flight on it, and IO that comes later never reaches it. */
class StoreTeardownTest {
    private static final int CHUNK = 4096;
    private static final StoreParams FRESH = new StoreParams("p1", 1, 64, CHUNK, 512, false, null);

    private final ServerPools pools = new ServerPools();
    private final FailingPoolStore store = new FailingPoolStore(FRESH);
    private final RecordingLink client = new RecordingLink("s1");

    @Test
    void unregisterWaitsForTheIoInFlightAndRefusesNewIo() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        store.holdNextWrite();
        TestThreads.Running<Void> write = TestThreads.run(() -> pool.write(0, MemorySegment.ofArray(new byte[512]), List.of()));
        assertTrue(store.writeHeld.await(10, TimeUnit.SECONDS));

        TestThreads.Running<Void> unregister = TestThreads.run(() -> pools.unregister("p1")).awaitBlocked();
        assertFalse(unregister.result().isDone(), "unregister waits while a write is inside the store");
        assertEquals(Status.NOT_READY, assertThrows(RequestException.class, () -> TestChunks.read(pool, 0, 512)).status(),
                "once teardown begins no new IO reaches the store");
        assertTrue(client.closed, "the compute session is ended at once");

        store.release.countDown();
        write.result().get(10, TimeUnit.SECONDS);
        unregister.result().get(10, TimeUnit.SECONDS);
        assertEquals(PoolState.EMPTY, pool.state());
    }

    @Test
    void aChunkFetchedAfterItsStoreWasRemovedFailsClearly() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        pools.discard("p1", LongStream.of(1));
        CountDownLatch fetching = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        pool.link(new PeerLink() {
            @Override
            public int fetch(long chunk, MemorySegment dst) throws IOException {
                fetching.countDown();
                try {
                    answer.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return TestChunks.put(new byte[CHUNK], dst);
            }

            @Override
            public void cleaned(long[] chunks) {
            }

            @Override
            public void lacking(long firstChunk, long lastChunk) {
            }
        });
        TestThreads.Running<byte[]> read = TestThreads.call(() -> TestChunks.read(pool, CHUNK, 512));
        assertTrue(fetching.await(10, TimeUnit.SECONDS));
        pools.unregister("p1");
        answer.countDown();
        ExecutionException failed = assertThrows(ExecutionException.class, () -> read.result().get(10, TimeUnit.SECONDS));
        RequestException e = assertInstanceOf(RequestException.class, failed.getCause());
        assertEquals(Status.DIRTY, e.status());
        assertEquals("chunk 1 is dirty on member 1 of pool p1 and could not be synced: pool p1 lost its store "
                + "during the sync of chunk 1", e.getMessage());
    }
}
