package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.JoinMode;
import brmr.rmr.protocol.Message.Status;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One writer at a time: which compute session a storage node lets join a pool that client A serves
 * at writer epoch 1, and what a forced take-over does to A.
 */
class WriterFencingTest {
    private static final int CHUNK = 4096;
    private static final UUID A = UUID.fromString("aaaaaaaa-0000-4000-8000-000000000001");
    private static final UUID B = UUID.fromString("bbbbbbbb-0000-4000-8000-000000000002");
    private static final String IN_USE = "pool p1 on member 1 is in use by another client; add the session with "
            + "force=1 to take it over (that client is then fenced)";

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(new StoreParams("p1", 1, 64, CHUNK, 512, false, null));
    private final RecordingLink a = new RecordingLink("s1", new Message.Writer(A, 0, false));

    /** Pool p1 serving client A, which claimed writer epoch 1 with its map. */
    private ServerPool servingA() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, a);
        pool.claimWriter(a, 1);
        return pool;
    }

    /** Session name, client, its epoch, force -> the refusal's status and text, or null when it joins. */
    static List<Arguments> joinsWhileAIsConnected() {
        return List.of(
                Arguments.of("s1", A, 1, false, null, null),
                Arguments.of("s1", A, 0, false, null, null),
                Arguments.of("s1", B, 0, false, Status.REFUSED, IN_USE),
                Arguments.of("s9", B, 0, false, Status.REFUSED, IN_USE),
                Arguments.of("s1", B, 7, false, Status.REFUSED, IN_USE),
                Arguments.of("s9", A, 1, false, Status.REFUSED, "pool p1 on member 1 already serves another compute session"),
                Arguments.of("s1", B, 0, true, null, null));
    }

    @ParameterizedTest(name = "{0} of client {1} at epoch {2}, force {3}")
    @MethodSource("joinsWhileAIsConnected")
    void aJoinWhileClientAIsConnected(String session, UUID client, long epoch, boolean force, Status status,
            String refusal) throws Exception {
        ServerPool pool = servingA();
        RecordingLink joining = new RecordingLink(session, new Message.Writer(client, epoch, force));
        if (status == null) {
            pool.joinCompute(joining, JoinMode.ASSEMBLE, CHUNK);
            assertTrue(a.closed, "the session it replaces is closed");
            return;
        }
        RequestException refused = assertThrows(RequestException.class,
                () -> pool.joinCompute(joining, JoinMode.ASSEMBLE, CHUNK));
        assertEquals(status, refused.status());
        assertEquals(refusal, refused.getMessage());
        assertFalse(a.closed, "a refused join leaves A's session alone");
        assertEquals(1, store.writerEpoch());
        assertEquals(A, store.writerClient());
    }

    @Test
    void aForcedTakeOverRecordsANewEpochAndFencesTheOldClientUntilItForcesBack() throws Exception {
        ServerPool pool = servingA();
        Message.HelloOk ok = pool.joinCompute(new RecordingLink("s1", new Message.Writer(B, 0, true)),
                JoinMode.ASSEMBLE, CHUNK);
        assertEquals(2, ok.writerEpoch());
        assertEquals(2, store.writerEpoch(), "the take-over is on the store before B may write");
        assertEquals(B, store.writerClient());
        assertEquals(Status.NOT_READY, assertThrows(RequestException.class, () -> pool.admit(a)).status(),
                "A's old session takes no request");

        RecordingLink back = new RecordingLink("s1", new Message.Writer(A, 1, false));
        RequestException fenced = assertThrows(RequestException.class,
                () -> pool.joinCompute(back, JoinMode.ASSEMBLE, CHUNK));
        assertEquals(Status.FENCED, fenced.status());
        assertEquals("client " + A + " is fenced from pool p1 on member 1: another client took it over at writer "
                + "epoch 2 (this client's is 1); map it again with force=1 only if that client is gone",
                fenced.getMessage());

        pool.joinCompute(new RecordingLink("s1", new Message.Writer(A, 1, true)), JoinMode.ASSEMBLE, CHUNK);
        assertEquals(3, store.writerEpoch());
        assertEquals(A, store.writerClient());
    }

    @Test
    void anotherClientJoinsWithoutForceOnceTheWriterIsGoneAndClaimsTheNextEpoch() throws Exception {
        ServerPool pool = servingA();
        pool.computeSessionEnded(a);
        RecordingLink b = new RecordingLink("s1", new Message.Writer(B, 0, false));
        assertEquals(1, pool.joinCompute(b, JoinMode.ASSEMBLE, CHUNK).writerEpoch());
        pool.enable(b);
        RequestException stale = assertThrows(RequestException.class, () -> pool.claimWriter(b, 1));
        assertEquals(Status.REFUSED, stale.status());
        assertEquals("writer epoch 1 is not newer than epoch 1 of pool p1 on member 1", stale.getMessage());
        pool.claimWriter(b, 2);
        assertEquals(2, store.writerEpoch());
        assertEquals(B, store.writerClient());
    }

    @Test
    void discardMyDataIsRefusedWhileAClientIsConnectedThenClearsTheRecordAndLacksEveryChunk() throws Exception {
        ServerPool pool = servingA();
        pool.inService(4, List.of(1, 2));
        PoolException busy = assertThrows(PoolException.class, pool::discardMyData);
        assertEquals("discard_my_data: pool p1 on member 1 still serves compute session s1; del_sess it (or stop that "
                + "client) first", busy.getMessage());
        assertEquals(1, store.writerEpoch(), "the refusal changed nothing on the store");
        assertEquals(List.of(1, 2), pool.recovery().inService());
        assertEquals(0, pool.dirtyMaps().stream().filter(m -> m.memberId() == 1).findFirst().orElseThrow()
                .dirtyCount());
        pool.computeSessionEnded(a);
        pool.discardMyData();
        Message.RecoveryState record = pool.recovery();
        assertEquals(0, record.writerEpoch());
        assertEquals(5, record.mapVersion());
        assertEquals(List.of(), record.inService());
        assertEquals(0, store.writerEpoch());
        assertEquals(store.params().chunkCount(), pool.dirtyMaps().stream().filter(m -> m.memberId() == 1)
                .findFirst().orElseThrow().dirtyCount());
    }
}
