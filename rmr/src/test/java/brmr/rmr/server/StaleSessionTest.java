package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.JoinMode;
import brmr.rmr.protocol.Message.Status;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A compute client that reconnects: its old session is drained and closed, and its late requests refused. */
class StaleSessionTest {
    private static final int CHUNK = 4096;
    private static final StoreParams FRESH = new StoreParams("p1", 1, 64, CHUNK, 512, false, null);

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(FRESH);
    private final RecordingLink old = new RecordingLink("s1");

    private static CompletableFuture<Object> joinAsync(ServerPool pool, SessionLink link) {
        CompletableFuture<Object> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                done.complete(pool.joinCompute(link, JoinMode.ASSEMBLE, CHUNK));
            } catch (Throwable t) {
                done.complete(t);
            }
        });
        return done;
    }

    private static void awaitClosed(RecordingLink link) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!link.closed) {
            assertTrue(System.nanoTime() < deadline, "session " + link.name() + " was never closed");
            Thread.sleep(1);
        }
    }

    @Test
    void aNewSessionWaitsForTheOldOnesRequestsAndTheOldOneIsRefusedFromThen() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, old);
        ComputeSessions.Admission inFlight = pool.admit(old);
        RecordingLink fresh = new RecordingLink("s1");

        CompletableFuture<Object> join = joinAsync(pool, fresh);
        awaitClosed(old);
        RequestException late = assertThrows(RequestException.class, () -> pool.admit(old));
        assertEquals(Status.NOT_READY, late.status());
        assertEquals("session s1 is no longer the compute session of pool p1 on member 1", late.getMessage());
        assertFalse(join.isDone(), "the join waits for the old session's request in flight");
        assertEquals(PoolState.NO_IO, pool.state(), "no IO until the new session's map update and enable");

        inFlight.close();
        Message.HelloOk ok = (Message.HelloOk) join.get(10, TimeUnit.SECONDS);
        assertEquals("NO_IO", ok.poolState());
        assertEquals(Status.REFUSED, assertThrows(RequestException.class, () -> pool.enable(old)).status());
        pool.enable(fresh);
        pool.admit(fresh).close();
        assertEquals(Status.NOT_READY, assertThrows(RequestException.class, () -> pool.admit(old)).status());
        pool.computeSessionEnded(old);
        assertEquals(PoolState.NORMAL, pool.state(), "the old session's end does not touch the new one");
    }

    @Test
    void aJoinIsRefusedWhileTheOldSessionsRequestsDoNotFinish() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, old);
        try (ComputeSessions.Admission stuck = pool.admit(old)) {
            Object reply = joinAsync(pool, new RecordingLink("s1")).get(ServerPool.STALE_DRAIN.toSeconds() + 10,
                    TimeUnit.SECONDS);
            RequestException refused = (RequestException) reply;
            assertEquals(Status.REFUSED, refused.status());
            assertEquals("the previous compute session of pool p1 on member 1 still has 1 request(s) in flight after "
                    + "3 s; join again later", refused.getMessage());
            assertEquals(PoolState.NO_IO, pool.state());
        }
        RecordingLink third = new RecordingLink("s1");
        pool.joinCompute(third, JoinMode.ASSEMBLE, CHUNK);
        pool.enable(third);
        assertEquals(PoolState.NORMAL, pool.state());
    }

    @Test
    void anotherClientIsStillRefused() throws Exception {
        ServerPool pool = ServingPools.serving(pools, store, old);
        RequestException e = assertThrows(RequestException.class,
                () -> pool.joinCompute(new RecordingLink("s9"), JoinMode.ASSEMBLE, CHUNK));
        assertEquals("pool p1 on member 1 already serves another compute session", e.getMessage());
        assertFalse(old.closed);
    }
}
