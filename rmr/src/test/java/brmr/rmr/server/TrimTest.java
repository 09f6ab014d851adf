package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * A trim on a storage node: recorded like a write (active chunks, missing members) before the store
 * discards the range, zeroes written where the store cannot discard, and refused like a write on a
 * chunk this member lacks, so that a later sync brings the peer's trimmed chunk, never old data.
 */
class TrimTest {
    private static final int CHUNK = 4096;
    /** 64 chunks of 4 KiB. */
    private static final StoreParams PARAMS = new StoreParams("p1", 1, 512, CHUNK, 512, false, null);
    private static final UUID CLIENT = UUID.fromString("aaaaaaaa-0000-4000-8000-000000000002");

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(PARAMS);
    private final RecordingLink client = new RecordingLink("s1", new Message.Writer(CLIENT, 0, false));

    private ServerPool servingWithData(byte[] data) throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, client);
        // straight into the store: no chunk is active before the trim
        store.write(0, MemorySegment.ofArray(data));
        return pool;
    }

    private static byte[] pattern(int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) 0x55);
        return bytes;
    }

    @Test
    void aTrimIsRecordedLikeAWriteBeforeTheStoreDiscardsIt() throws Exception {
        byte[] data = pattern(4 * CHUNK);
        ServerPool pool = servingWithData(data);
        pool.inService(5, List.of(1, 2));
        store.recordCalls();
        pool.trim(CHUNK + 512, 2 * CHUNK, List.of(2));
        assertEquals(List.of("active 1..4", "dirty 2 1..4", "service 6 [1]", "discard 4608+8192"), store.calls());
        byte[] expected = data.clone();
        Arrays.fill(expected, CHUNK + 512, 3 * CHUNK + 512, (byte) 0);
        assertArrayEquals(expected, TestChunks.read(pool, 0, 4 * CHUNK));
    }

    @Test
    void aStoreThatCannotDiscardGetsZeroesWritten() throws Exception {
        ServerPool pool = servingWithData(pattern(4 * CHUNK));
        store.discards = false;
        store.recordCalls();
        pool.trim(CHUNK, 2 * CHUNK, List.of());
        assertEquals(List.of("active 1..3", "write 4096+8192"), store.calls());
        assertArrayEquals(new byte[2 * CHUNK], TestChunks.read(pool, CHUNK, 2 * CHUNK));
    }

    @Test
    void aTrimOfAChunkThisMemberLacksIsRefusedAsDirtyAndChangesNoData() throws Exception {
        byte[] data = pattern(4 * CHUNK);
        ServerPool pool = servingWithData(data);
        pools.discard("p1", LongStream.of(2));
        store.recordCalls();
        RequestException refused = assertThrows(RequestException.class, () -> pool.trim(2 * CHUNK, CHUNK, List.of()));
        assertEquals(Status.DIRTY, refused.status());
        assertEquals(List.of("active 2..3"), store.calls(), "no discard and no write: the chunk stays as it was");
        assertEquals("member 1: [2] 1/64 dirty\n", pool.mapSummary());
    }

    @Test
    void aTrimOutsideThePoolOrUnalignedIsRefusedAndChangesNothing() throws Exception {
        ServerPool pool = servingWithData(pattern(CHUNK));
        store.recordCalls();
        RequestException outside = assertThrows(RequestException.class, () -> pool.trim(63 * CHUNK, 2 * CHUNK, List.of()));
        assertEquals(Status.INVALID, outside.status());
        assertEquals("range 258048+8192 lies outside the 262144 bytes of pool p1", outside.getMessage());
        RequestException unaligned = assertThrows(RequestException.class, () -> pool.trim(100, 512, List.of()));
        assertEquals(Status.INVALID, unaligned.status());
        assertEquals(List.of(), store.calls());
    }
}
