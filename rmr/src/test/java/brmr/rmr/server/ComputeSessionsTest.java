package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Message.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Admission of compute requests without a lock, against replacing and draining sessions. */
class ComputeSessionsTest {
    private final ComputeSessions sessions = new ComputeSessions("pool p1 on member 1");
    private final RecordingLink old = new RecordingLink("s-old");
    private final RecordingLink next = new RecordingLink("s-new");

    @Test
    void onlyTheCurrentSessionIsAdmittedAndADrainWaitsForTheReplacedOnesRequests() throws Exception {
        assertEquals(Status.NOT_READY, assertThrows(RequestException.class, () -> sessions.admit(old)).status());
        assertEquals(null, sessions.replace(old));
        ComputeSessions.Admission inFlight = sessions.admit(old);
        assertEquals(old, sessions.replace(next));
        RequestException refused = assertThrows(RequestException.class, () -> sessions.admit(old));
        assertEquals("session s-old is no longer the compute session of pool p1 on member 1", refused.getMessage());
        assertEquals(1, sessions.awaitOthersIdle(next, Duration.ofMillis(20)), "the old request is in flight");
        TestThreads.Running<Integer> drain = TestThreads.call(() -> sessions.awaitOthersIdle(next,
                Duration.ofSeconds(30))).awaitBlocked();
        sessions.admit(next).close();
        assertFalse(drain.result().isDone(), "the new session's requests do not count");
        inFlight.close();
        assertEquals(0, drain.result().get(10, TimeUnit.SECONDS));
        assertTrue(sessions.end(next));
        assertFalse(sessions.isCurrent(next));
    }

    /**
     * Threads admit requests of the old session as fast as they can while it is replaced: once the drain
     * has returned, no request of the old session is admitted any more, and none was running unseen.
     */
    @Test
    void aReplaceRacingAdmissionsEitherRefusesThemOrWaitsForThem() throws Exception {
        for (int round = 0; round < 50; round++) {
            ComputeSessions racing = new ComputeSessions("pool p1 on member 1");
            racing.replace(old);
            AtomicBoolean drained = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong admitted = new AtomicLong();
            AtomicLong refusedAfterDrain = new AtomicLong();
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<Future<String>> admitting = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    admitting.add(threads.submit(() -> {
                        while (!stop.get()) {
                            try (ComputeSessions.Admission _ = racing.admit(old)) {
                                admitted.incrementAndGet();
                                if (drained.get()) {
                                    return "a request of the old session ran after the drain";
                                }
                            } catch (RequestException e) {
                                if (drained.get()) {
                                    refusedAfterDrain.incrementAndGet();
                                }
                            }
                        }
                        return null;
                    }));
                }
                long started = System.nanoTime();
                while (admitted.get() < 100) {
                    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "no call got in");
                    Thread.onSpinWait();
                }
                racing.replace(next);
                assertEquals(0, racing.awaitOthersIdle(next, Duration.ofSeconds(30)));
                drained.set(true);
                long after = admitted.get();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (refusedAfterDrain.get() < 400) {
                    assertTrue(System.nanoTime() < deadline, "the admitting threads stopped trying");
                    Thread.onSpinWait();
                }
                stop.set(true);
                for (Future<String> f : admitting) {
                    assertEquals(null, f.get(30, TimeUnit.SECONDS));
                }
                assertEquals(after, admitted.get(), "no request of the old session is admitted after the drain");
            } finally {
                threads.shutdownNow();
            }
        }
    }
}
