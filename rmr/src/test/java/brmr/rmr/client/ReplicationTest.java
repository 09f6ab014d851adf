package brmr.rmr.client;

import static brmr.rmr.client.FakeNode.CHUNK;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The replication core against in-process storage nodes that fail, tear and hang on command: no
 * sockets, no processes. A write is acknowledged only once a leg that took it has recorded what the
 * others missed; a hanging leg costs a write at most the peer timeout plus one heartbeat.
 */
class ReplicationTest {
    private static final UUID CLIENT = UUID.fromString("00000000-0000-4000-8000-000000000001");

    private final TwoNodes nodes = new TwoNodes();
    private final FakeNode node1 = nodes.node1;
    private final FakeNode node2 = nodes.node2;
    private ClientPool pool;

    private ClientPool pool() throws PoolException {
        pool = nodes.enabledPool(CLIENT);
        return pool;
    }

    @AfterEach
    void close() {
        nodes.close();
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed + i * 31);
        }
        return bytes;
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        TwoNodes.eventually(what, condition);
    }

    /** A store that failed: its IO fails and its node refuses the leg's rejoin until the operator acts. */
    private static void failStore(FakeNode node) {
        node.failWrites(Message.Status.IO_ERROR);
        node.refuseJoins("store of pool p on member " + node.member + " failed: pwrite: EIO");
    }

    private SessionState state(String session) {
        return nodes.state(session);
    }

    @Test
    void aWriteFailingOnOneLegIsAcknowledgedOnlyAfterTheOtherLegRecordedTheMiss() throws Exception {
        pool();
        failStore(node2);
        CountDownLatch recorded = node1.holdMarkDirty();
        byte[] data = pattern(2 * CHUNK, 1);
        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
            try {
                pool.write(3L * CHUNK, MemorySegment.ofArray(data));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        eventually("node 1 asked to record that member 2 missed chunks 3..4",
                () -> node1.received("MarkDirty [2] 3..4"));
        assertFalse(write.isDone(), "the write must not complete while its miss is not recorded");
        recorded.countDown();
        write.get();
        assertTrue(node1.isDirty(2, 3) && node1.isDirty(2, 4));
        assertArrayEquals(data, node1.bytes(3L * CHUNK, data.length));
        assertTrue(Set.of(SessionState.FAILED, SessionState.RECONNECTING).contains(state("s2")), state("s2").name());
    }

    @Test
    void aTornWriteIsCoveredByTheSameMarkAndLaterWritesNameTheFailedMember() throws Exception {
        pool();
        node2.tearWrites();
        node2.refuseJoins("store failed");
        byte[] data = pattern(CHUNK, 2);
        pool.write(5L * CHUNK, MemorySegment.ofArray(data));
        assertTrue(node1.isDirty(2, 5), "the torn chunk is dirty for member 2 on the leg that took the write");
        assertFalse(Arrays.equals(data, node2.bytes(5L * CHUNK, CHUNK)), "node 2 holds a torn chunk");
        eventually("s2 out of service", () -> state("s2") != SessionState.NORMAL);
        pool.write(7L * CHUNK, MemorySegment.ofArray(data));
        assertTrue(node1.events().contains("Write " + 7L * CHUNK + "+" + CHUNK + " missing [2]"), node1.events().toString());
        assertTrue(node1.isDirty(2, 7));
    }

    @Test
    void aTrimGoesToEveryLegAsATrimAndReadsBackAsZeroes() throws Exception {
        pool();
        byte[] data = pattern(3 * CHUNK, 5);
        pool.write(2L * CHUNK, MemorySegment.ofArray(data));
        pool.trim(3L * CHUNK, CHUNK);
        for (FakeNode node : List.of(node1, node2)) {
            assertTrue(node.received("Trim " + 3L * CHUNK + "+" + CHUNK + " missing []"), node.events().toString());
            assertArrayEquals(new byte[CHUNK], node.bytes(3L * CHUNK, CHUNK));
            assertArrayEquals(Arrays.copyOf(data, CHUNK), node.bytes(2L * CHUNK, CHUNK), "the chunk before is kept");
        }
        byte[] read = new byte[3 * CHUNK];
        pool.read(2L * CHUNK, MemorySegment.ofArray(read));
        assertArrayEquals(Arrays.copyOfRange(data, 2 * CHUNK, 3 * CHUNK), Arrays.copyOfRange(read, 2 * CHUNK, 3 * CHUNK));
        assertArrayEquals(new byte[CHUNK], Arrays.copyOfRange(read, CHUNK, 2 * CHUNK));
    }

    @Test
    void aTrimThatALegMissesMarksItsChunksDirtyForThatLegAsAWriteDoes() throws Exception {
        pool();
        node2.unreachable(true);
        eventually("s2 out of service", () -> state("s2") != SessionState.NORMAL);
        pool.trim(6L * CHUNK, 2 * CHUNK);
        assertTrue(node1.received("Trim " + 6L * CHUNK + "+" + 2 * CHUNK + " missing [2]"), node1.events().toString());
        assertTrue(node1.isDirty(2, 6) && node1.isDirty(2, 7), "member 2 missed chunks 6..7");
        assertFalse(node1.isDirty(2, 8));
        node2.unreachable(false);
        pool.reconnect("s2");
        eventually("s2 back in service", () -> state("s2") == SessionState.NORMAL);
        assertTrue(node2.isDirty(2, 6) && node2.isDirty(2, 7), "node 2 learnt that it lacks the trimmed chunks");
    }

    @Test
    void aTrimThatFailsOnOneLegIsRecordedAsMissedOnTheOther() throws Exception {
        pool();
        failStore(node2);
        pool.trim(4L * CHUNK, CHUNK);
        assertTrue(node1.received("MarkDirty [2] 4..4"), node1.events().toString());
        assertTrue(node1.isDirty(2, 4));
        assertTrue(Set.of(SessionState.FAILED, SessionState.RECONNECTING).contains(state("s2")), state("s2").name());
    }

    @Test
    void aWriteThatNoLegTookFails() throws Exception {
        pool();
        node1.failWrites(Message.Status.IO_ERROR);
        node2.failWrites(Message.Status.IO_ERROR);
        IOException failed = assertThrows(IOException.class, () -> pool.write(0, MemorySegment.ofArray(new byte[512])));
        assertTrue(failed.getMessage().contains("failed on every leg"), failed.getMessage());
    }

    @Test
    void aHangingLegIsFailedWithinTheTimeoutAndTheWriteCompletesOnTheOther() throws Exception {
        pool();
        node2.freeze();
        byte[] data = pattern(CHUNK, 3);
        pool.write(2L * CHUNK, MemorySegment.ofArray(data));
        assertTrue(node1.isDirty(2, 2), "member 2 missed chunk 2, recorded on node 1 before the write completed");
        assertTrue(Set.of(SessionState.FAILED, SessionState.RECONNECTING).contains(state("s2")), state("s2").name());
        String why = pool.leg("s2").orElseThrow().lastError();
        assertTrue(why.contains("got no answer in") && why.contains("peer timeout"), why);
    }

    @Test
    void anIdleLegThatFreezesIsFoundByTheHeartbeat() throws Exception {
        pool();
        node2.freeze();
        eventually("the heartbeat fails the frozen leg", () -> state("s2") != SessionState.NORMAL);
        String why = pool.leg("s2").orElseThrow().lastError();
        assertTrue(why.contains("Ping request got no answer") || why.contains("Hello request got no answer"), why);
        assertEquals(SessionState.NORMAL, state("s1"));
    }

    @Test
    void aLegThatComesBackTakesAMapUpdateBeforeItIsEnabled() throws Exception {
        pool();
        node2.unreachable(true);
        eventually("s2 out of service", () -> state("s2") != SessionState.NORMAL);
        byte[] data = pattern(CHUNK, 4);
        pool.write(9L * CHUNK, MemorySegment.ofArray(data));
        assertTrue(node1.isDirty(2, 9));
        node2.events().clear();
        node2.unreachable(false);
        pool.reconnect("s2");
        eventually("s2 back in service", () -> state("s2") == SessionState.NORMAL);
        List<String> events = node2.events();
        assertTrue(events.indexOf("MapUpdate") >= 0 && events.indexOf("MapUpdate") < events.indexOf("Enable"),
                events.toString());
        assertTrue(node2.isDirty(2, 9), "node 2 learnt that it lacks chunk 9");
    }

    @Test
    void withNoLegInServiceReturningLegsWaitForEachOtherAndTakeTheUnionOfTheirRecords() throws Exception {
        pool();
        node2.unreachable(true);
        eventually("s2 out of service", () -> state("s2") != SessionState.NORMAL);
        pool.write(3L * CHUNK, MemorySegment.ofArray(new byte[CHUNK]));
        assertTrue(node1.isDirty(2, 3));
        node1.unreachable(true);
        eventually("s1 out of service", () -> state("s1") != SessionState.NORMAL);

        node2.events().clear();
        node2.unreachable(false);
        pool.reconnect("s2");
        eventually("s2 connected again", () -> state("s2") == SessionState.CREATED);
        assertFalse(node2.received("Enable"), "the stale leg alone must not serve");
        assertThrows(IOException.class, () -> pool.read(0, MemorySegment.ofArray(new byte[512])));

        node1.unreachable(false);
        pool.reconnect("s1");
        eventually("both legs in service", () -> state("s1") == SessionState.NORMAL
                && state("s2") == SessionState.NORMAL);
        assertTrue(node2.isDirty(2, 3), "node 2 learnt from node 1's record that it lacks chunk 3");
        assertTrue(node1.isDirty(2, 3), "node 1's record survived the reassembly");
    }

    @Test
    void afterAClientCrashTheNextClientTurnsEveryActiveChunkIntoDirtyMarksBeforeServing() throws Exception {
        pool();
        byte[] data = pattern(CHUNK, 7);
        pool.write(5L * CHUNK, MemorySegment.ofArray(data));
        // the crash: the client is gone, and nothing but the legs' active chunks says which writes may differ
        pool.close();
        pool = nodes.newPool(CLIENT);
        pool.addSession("s1", node1.address, Message.JoinMode.ASSEMBLE);
        pool.addSession("s2", node2.address, Message.JoinMode.ASSEMBLE);
        pool.enableAll();
        assertTrue(node1.isDirty(2, 5) || node2.isDirty(1, 5), "chunk 5 was active: one copy is chosen, the other "
                + "leg is marked as lacking it");
        assertTrue(node1.received("ActivityResolved") && node2.received("ActivityResolved"));
        assertEquals(0, node1.activeChunks().length);
    }

    @Test
    void aLegWhoseStoreFailedIsNotRejoinedUntilItsNodeAcceptsItAgain() throws Exception {
        pool();
        failStore(node2);
        pool.write(0, MemorySegment.ofArray(new byte[512]));
        eventually("s2 reconnecting", () -> state("s2") == SessionState.RECONNECTING
                && String.valueOf(pool.leg("s2").orElseThrow().lastError()).contains("failed: pwrite: EIO"));
        long hellos = node2.events().stream().filter("Hello"::equals).count();
        assertTrue(hellos < 10, "the refused leg backs off instead of rejoining in a tight loop: " + hellos);
        node2.failWrites(null);
        node2.refuseJoins(null);
        pool.reconnect("s2");
        eventually("s2 back in service", () -> state("s2") == SessionState.NORMAL);
    }

    @Test
    void aFencedLegStopsReconnectingInsteadOfTakingTheSessionBack() throws Exception {
        pool();
        node2.fence("client 1 is fenced from pool p on member 2: another client took it over at writer epoch 4");
        node2.unreachable(true);
        node2.unreachable(false);
        pool.reconnect("s2");
        eventually("s2 told it is fenced", () -> String.valueOf(pool.leg("s2").orElseThrow().lastError())
                .contains("is fenced"));
        eventually("the reconnect loop ended", () -> !pool.leg("s2").orElseThrow().reconnectNow());
        long hellos = node2.events().stream().filter("Hello"::equals).count();
        pool.reconnect("s2");
        assertEquals(hellos, node2.events().stream().filter("Hello"::equals).count(), "no attempt after the fence");
        assertEquals(SessionState.FAILED, state("s2"));
    }

    @Test
    void aMapMakesThisClientTheWriterAtANewEpochOnEveryLeg() throws Exception {
        pool();
        pool.map(FakeNode.CHUNK * FakeNode.CHUNKS / 512);
        assertTrue(node1.received("ClaimWriter 1") && node2.received("ClaimWriter 1"), node1.events().toString());
    }

    @Test
    void readsMoveToTheOtherLegWhenOneFails() throws Exception {
        pool();
        byte[] data = pattern(CHUNK, 5);
        pool.write(CHUNK, MemorySegment.ofArray(data));
        node1.failReads(Message.Status.IO_ERROR);
        node1.refuseJoins("store failed");
        for (int i = 0; i < 4; i++) {
            byte[] read = new byte[CHUNK];
            pool.read(CHUNK, MemorySegment.ofArray(read).asSlice(0, CHUNK));
            assertArrayEquals(data, read);
        }
        assertTrue(state("s1") != SessionState.NORMAL);
    }

    @Test
    void readsAvoidALegKnownToLackTheChunk() throws Exception {
        pool();
        node2.failWrites(Message.Status.IO_ERROR);
        byte[] data = pattern(CHUNK, 6);
        pool.write(4L * CHUNK, MemorySegment.ofArray(data));
        node2.failWrites(null);
        pool.reconnect("s2");
        eventually("s2 back in service", () -> state("s2") == SessionState.NORMAL);
        node2.events().clear();
        for (int i = 0; i < 4; i++) {
            byte[] read = new byte[CHUNK];
            pool.read(4L * CHUNK, MemorySegment.ofArray(read).asSlice(0, CHUNK));
            assertArrayEquals(data, read);
        }
        assertTrue(node2.events().stream().noneMatch(e -> e.startsWith("Read")), node2.events().toString());
    }

    @Test
    void aFlushFailingOnOneLegRecordsWhatItHadNotFlushed() throws Exception {
        pool();
        pool.write(6L * CHUNK, MemorySegment.ofArray(new byte[CHUNK]));
        node2.failFlushes(Message.Status.IO_ERROR);
        pool.flush();
        assertTrue(node1.isDirty(2, 6), "chunk 6 may be lost on member 2");
    }

    @Test
    void aFlushFailingOnEveryLegKeepsItsChunksForTheNextFlush() throws Exception {
        pool();
        pool.write(8L * CHUNK, MemorySegment.ofArray(new byte[CHUNK]));
        node1.failFlushes(Message.Status.IO_ERROR);
        node2.failFlushes(Message.Status.IO_ERROR);
        assertThrows(IOException.class, pool::flush);
        node1.failFlushes(null);
        pool.reconnect("s1");
        eventually("s1 back in service", () -> state("s1") == SessionState.NORMAL);
        pool.flush();
        assertTrue(node1.isDirty(2, 8), "the chunk of the failed flush is still tracked for member 2");
    }

    @Test
    void aFirstMapThatFailsPartWayIsRolledBack() throws Exception {
        pool();
        node2.failMarkMapped(Message.Status.IO_ERROR);
        PoolException refused = assertThrows(PoolException.class, () -> pool.map(FakeNode.CHUNK * FakeNode.CHUNKS / 512));
        assertTrue(refused.getMessage().contains("rolled back on [s1]"), refused.getMessage());
        assertFalse(node1.mapped());
        assertFalse(node2.mapped());
        assertTrue(node1.received("Unmap"));
        node2.failMarkMapped(null);
        pool.map(FakeNode.CHUNK * FakeNode.CHUNKS / 512);
        assertTrue(node1.mapped() && node2.mapped());
    }
}
