package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * What a storage node persists for recovery: the in-service record with its map version, and the
 * active chunks a compute write may have left on only some legs; and what GetRecovery answers.
 */
class RecoveryRecordTest {
    private static final int CHUNK = 4096;
    /** 64 chunks of 4 KiB. */
    private static final StoreParams PARAMS = new StoreParams("p1", 1, 512, CHUNK, 512, false, null);
    private static final UUID CLIENT = UUID.fromString("aaaaaaaa-0000-4000-8000-000000000001");

    private final ServerPools pools = new ServerPools();
    private final FailingPoolStore failing = new FailingPoolStore(PARAMS);
    private final MemoryPoolStore store = failing.memory();
    private final RecordingLink client = new RecordingLink("s1", new Message.Writer(CLIENT, 0, false));

    private ServerPool serving() throws Exception {
        return ServingPools.serving(pools, failing, client);
    }

    private static byte[] block() {
        return new byte[512];
    }

    @Test
    void inServiceIsPersistedAndOnlyANewerVersionIsTaken() throws Exception {
        ServerPool pool = serving();
        pool.inService(3, List.of(2, 1));
        assertEquals(3, store.mapVersion());
        assertEquals(List.of(1, 2), store.inService(), "persisted in ascending order");

        for (long stale : new long[] {3, 2, 0}) {
            RequestException refused = assertThrows(RequestException.class, () -> pool.inService(stale, List.of(1)));
            assertEquals(Status.REFUSED, refused.status());
            assertEquals("map version " + stale + " is not newer than version 3 of pool p1 on member 1",
                    refused.getMessage());
        }
        assertEquals(3, store.mapVersion());
        assertEquals(List.of(1, 2), store.inService());
        pool.inService(9, List.of());
        assertEquals(9, store.mapVersion());
        assertEquals(List.of(), store.inService());
    }

    @Test
    void impossibleMemberListsAreRefusedNamingInService() throws Exception {
        ServerPool pool = serving();
        for (List<Integer> members : List.of(List.of(1, 1), List.of(-1), List.of(0, 1, 2, 3, 4, 5, 6, 7, 8))) {
            RequestException refused = assertThrows(RequestException.class, () -> pool.inService(5, members));
            assertEquals(Status.INVALID, refused.status());
            assertTrue(refused.getMessage().startsWith("in_service: "), refused.getMessage());
        }
        assertEquals(0, store.mapVersion());
    }

    @Test
    void aWriteNamingAMemberInServiceTakesItOutAtTheNextVersionBeforeItsDataLands() throws Exception {
        ServerPool pool = serving();
        pool.inService(5, List.of(1, 2, 3));
        store.recordCalls();
        pool.write(2 * CHUNK, MemorySegment.ofArray(block()), List.of(2));
        assertEquals(List.of("active 2..3", "dirty 2 2..3", "service 6 [1, 3]", "write 8192+512"), store.calls());
        assertEquals(6, store.mapVersion());
        assertEquals(List.of(1, 3), store.inService());

        pool.write(3 * CHUNK, MemorySegment.ofArray(block()), List.of(2, 9));
        assertEquals(6, store.mapVersion(), "member 2 is already out, member 9 was never in");
        pool.writeZeroes(4 * CHUNK, 512, List.of(3, 2));
        assertEquals(7, store.mapVersion(), "several leave in one step");
        assertEquals(List.of(1), store.inService());
        assertEquals(List.of(6L, 7L), store.calls().stream().filter(call -> call.startsWith("service "))
                .map(call -> Long.parseLong(call.split(" ")[1])).toList(), "one header update per change");
    }

    @Test
    void aComputeMarkDirtyTakesMembersOutButASyncOneDoesNot() throws Exception {
        ServerPool pool = serving();
        pool.inService(1, List.of(1, 2, 3));
        pool.markDirty(List.of(2), 0, 3);
        assertEquals(1, store.mapVersion(), "a peer's mark says nothing about who is in service");
        assertEquals(List.of(1, 2, 3), store.inService());
        pool.markMissed(List.of(2), 0, 3);
        assertEquals(2, store.mapVersion());
        assertEquals(List.of(1, 3), store.inService());
        assertEquals(0b1111, store.persisted(2)[0]);
    }

    @Test
    void aFailedServiceRecordFailsTheWriteAndTheStoreBeforeAnyDataLands() throws Exception {
        ServerPool pool = serving();
        pool.inService(1, List.of(1, 2));
        failing.failServicePersists = new IOException("header write failed");
        store.recordCalls();
        RequestException failed = assertThrows(RequestException.class,
                () -> pool.write(0, MemorySegment.ofArray(block()), List.of(2)));
        assertEquals(Status.IO_ERROR, failed.status());
        assertTrue(failed.getMessage().contains("in-service record"), failed.getMessage());
        assertTrue(store.calls().stream().noneMatch(call -> call.startsWith("write")), store.calls().toString());
        assertEquals(PoolState.NO_IO, pool.state());
        assertEquals(1, store.mapVersion());
    }

    @Test
    void chunksAreActiveDurablyBeforeTheFirstWriteAndLaterWritesCostNothing() throws Exception {
        ServerPool pool = serving();
        store.recordCalls();
        pool.write(2 * CHUNK - 512, MemorySegment.ofArray(new byte[1024]), List.of());
        pool.write(2 * CHUNK, MemorySegment.ofArray(block()), List.of());
        pool.write(CHUNK, MemorySegment.ofArray(block()), List.of());
        assertEquals(List.of("active 1..3", "write 7680+1024", "write 8192+512", "write 4096+512"), store.calls());
        assertArrayEquals(new long[] {1, 2}, store.activeChunks());
    }

    @Test
    void aFailedActivePersistFailsTheWriteBeforeItsDataLands() throws Exception {
        ServerPool pool = serving();
        failing.failActivePersists = new IOException("bitmap write failed");
        store.recordCalls();
        RequestException failed = assertThrows(RequestException.class, () -> pool.write(0, MemorySegment.ofArray(block()), List.of()));
        assertEquals(Status.IO_ERROR, failed.status());
        assertTrue(failed.getMessage().contains("active chunks record"), failed.getMessage());
        assertEquals(List.of(), store.calls());
        assertEquals(PoolState.NO_IO, pool.state());
    }

    @Test
    void concurrentFirstTouchesShareOnePersist() throws Exception {
        ServerPool pool = serving();
        failing.holdNextActivePersist();
        TestThreads.Running<Void> first = TestThreads.run(() -> pool.write(0, MemorySegment.ofArray(block()), List.of()));
        assertTrue(failing.activeHeld.await(10, TimeUnit.SECONDS), "the first write never persisted");
        int writes = 32;
        List<TestThreads.Running<Void>> waiting = new ArrayList<>();
        for (int chunk = 1; chunk < writes; chunk++) {
            long offset = (long) chunk * CHUNK;
            waiting.add(TestThreads.run(() -> pool.write(offset, MemorySegment.ofArray(block()), List.of())).awaitBlocked());
        }
        assertEquals(0, store.activePersists(), "the first persist is still held");
        failing.releaseActive.countDown();
        first.result().get(10, TimeUnit.SECONDS);
        for (TestThreads.Running<Void> write : waiting) {
            write.result().get(10, TimeUnit.SECONDS);
        }
        assertEquals(2, store.activePersists(), "one persist for the first write, one for the " + (writes - 1)
                + " that waited for it");
        assertArrayEquals(LongStream.range(0, writes).toArray(), store.activeChunks());
    }

    @Test
    void activityResolvedKeepsTheChunksWrittenSinceTheLastResolveAndForgetsTheColdOnesDurably() throws Exception {
        ServerPool pool = serving();
        pool.write(3 * CHUNK, MemorySegment.ofArray(block()), List.of());
        pool.write(40 * CHUNK, MemorySegment.ofArray(block()), List.of());
        int persists = store.activePersists();
        pool.activityResolved();
        assertArrayEquals(new long[] {3, 40}, store.activeChunks(), "both were written since the last resolve");
        assertEquals(persists, store.activePersists(), "keeping the hot chunks writes nothing");

        pool.write(3 * CHUNK, MemorySegment.ofArray(block()), List.of());
        assertEquals(persists, store.activePersists(), "an active chunk costs no persist");
        pool.activityResolved();
        assertArrayEquals(new long[] {3}, store.activeChunks(), "chunk 40 went cold");
        assertArrayEquals(new long[] {3}, pool.recovery().activeChunks());
        assertEquals(persists + 1, store.activePersists());

        pool.activityResolved();
        assertArrayEquals(new long[0], store.activeChunks());
        assertEquals(persists + 2, store.activePersists());
        pool.activityResolved();
        assertEquals(persists + 2, store.activePersists(), "nothing active: nothing to write");

        pool.write(40 * CHUNK, MemorySegment.ofArray(block()), List.of());
        assertArrayEquals(new long[] {40}, store.activeChunks());
        assertEquals(persists + 3, store.activePersists(), "a forgotten chunk is activated durably again");
    }

    @Test
    void getRecoveryAnswersWhatIsPersistedAndARegisteredStoreLoadsIt() throws Exception {
        ServerPool pool = serving();
        pool.claimWriter(client, 4);
        pool.inService(2, List.of(2, 1));
        pool.write(5 * CHUNK, MemorySegment.ofArray(block()), List.of());
        pool.write(CHUNK, MemorySegment.ofArray(block()), List.of());
        pool.write(63 * CHUNK, MemorySegment.ofArray(block()), List.of());
        Message.RecoveryState expected = new Message.RecoveryState(4, 2, List.of(1, 2), new long[] {1, 5, 63});
        assertEquals(expected, pool.recovery());

        pools.unregister("p1");
        pools.register("p1", failing, RegisterMode.ADD);
        assertEquals(expected, pool.recovery(), "read back from the store");
    }
}
