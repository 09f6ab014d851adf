package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message.Status;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** Verify's exclusive chunk lock against writes, and the checksum it takes under it. */
class ChunkLocksTest {
    private static final int CHUNK = 4096;
    private static final StoreParams FRESH = new StoreParams("p1", 1, 64, CHUNK, 512, false, null);

    private static int crc32c(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        return (int) crc.getValue();
    }

    @Test
    void sharedHoldersExcludeAnExclusiveHolderOfTheirChunksOnly() throws Exception {
        ChunkLocks locks = new ChunkLocks();
        ChunkLocks.Held writes = locks.shared(3, 5);
        ChunkLocks.Held moreWrites = locks.shared(4, 4);
        TestThreads.Running<Void> verify = TestThreads.run(() -> locks.exclusive(4).close()).awaitBlocked();
        TestThreads.run(() -> locks.exclusive(6).close()).result().get(10, TimeUnit.SECONDS);
        writes.close();
        assertFalse(verify.result().isDone(), "a second write still holds chunk 4");
        moreWrites.close();
        verify.result().get(10, TimeUnit.SECONDS);

        ChunkLocks.Held verifying = locks.exclusive(9);
        TestThreads.Running<Void> write = TestThreads.run(() -> locks.shared(8, 10).close()).awaitBlocked();
        verifying.close();
        write.result().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aRangeWiderThanTheStripesHoldsEveryChunk() throws Exception {
        ChunkLocks locks = new ChunkLocks();
        ChunkLocks.Held wide = locks.shared(0, 10_000);
        TestThreads.Running<Void> verify = TestThreads.run(() -> locks.exclusive(123_457).close()).awaitBlocked();
        wide.close();
        verify.result().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aRangeWrappingPastTheLastStripeHoldsBothEnds() throws Exception {
        ChunkLocks locks = new ChunkLocks();
        ChunkLocks.Held wrapped = locks.shared(254, 257);
        TestThreads.Running<Void> tail = TestThreads.run(() -> locks.exclusive(255).close()).awaitBlocked();
        TestThreads.Running<Void> head = TestThreads.run(() -> locks.exclusive(1).close()).awaitBlocked();
        TestThreads.run(() -> locks.exclusive(2).close()).result().get(10, TimeUnit.SECONDS);
        TestThreads.run(() -> locks.exclusive(253).close()).result().get(10, TimeUnit.SECONDS);
        wrapped.close();
        tail.result().get(10, TimeUnit.SECONDS);
        head.result().get(10, TimeUnit.SECONDS);
    }

    @Test
    void theChecksumWaitsForAWriteOfItsChunkAndSeesItsData() throws Exception {
        FailingPoolStore store = new FailingPoolStore(FRESH);
        ServerPool pool = ServingPools.serving(new ServerPools(), store, new RecordingLink("s1"));
        byte[] data = new byte[CHUNK];
        Arrays.fill(data, (byte) 0x5a);
        store.holdNextWrite();
        TestThreads.Running<Void> write = TestThreads.run(() -> pool.write(2 * CHUNK, MemorySegment.ofArray(data), List.of()));
        assertTrue(store.writeHeld.await(10, TimeUnit.SECONDS));
        TestThreads.Running<Integer> checksum = TestThreads.call(() -> pool.chunkChecksum(2)).awaitBlocked();
        assertEquals(crc32c(new byte[CHUNK]), pool.chunkChecksum(3), "other chunks are not held up");
        store.release.countDown();
        write.result().get(10, TimeUnit.SECONDS);
        assertEquals(crc32c(data), checksum.result().get(10, TimeUnit.SECONDS));
    }

    @Test
    void aChunkThisMemberLacksHasNoChecksum() throws Exception {
        ServerPools pools = new ServerPools();
        ServerPool pool = ServingPools.serving(pools, new MemoryPoolStore(FRESH), new RecordingLink("s1"));
        pools.discard("p1", LongStream.of(5));
        RequestException e = assertThrows(RequestException.class, () -> pool.chunkChecksum(5));
        assertEquals(Status.DIRTY, e.status());
        assertEquals("chunk 5 is dirty on member 1", e.getMessage());
        assertEquals(Status.INVALID, assertThrows(RequestException.class, () -> pool.chunkChecksum(8)).status());
    }
}
