package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The store's gate, entered without a lock by every store call, against teardown's drain. */
class IoGateTest {
    @Test
    void aDrainWaitsForTheCallsInFlightAndRefusesLaterOnes() throws Exception {
        IoGate gate = new IoGate("store test");
        assertTrue(gate.enter());
        TestThreads.Running<Void> drain = TestThreads.run(gate::closeAndDrain).awaitBlocked();
        assertFalse(gate.enter(), "teardown has begun");
        assertFalse(drain.result().isDone(), "a refused call is not one in flight");
        gate.exit();
        drain.result().get(10, TimeUnit.SECONDS);
    }

    /** Threads enter and exit as fast as they can while the gate is drained: none is inside after the drain. */
    @Test
    void aDrainRacingCallsLeavesNoneInside() throws Exception {
        for (int round = 0; round < 50; round++) {
            IoGate gate = new IoGate("store test");
            AtomicBoolean drained = new AtomicBoolean();
            AtomicLong entered = new AtomicLong();
            AtomicLong refused = new AtomicLong();
            ExecutorService threads = Executors.newFixedThreadPool(4);
            try {
                List<Future<String>> calling = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    calling.add(threads.submit(() -> {
                        while (refused.get() < 400) {
                            if (!gate.enter()) {
                                refused.incrementAndGet();
                                continue;
                            }
                            entered.incrementAndGet();
                            boolean late = drained.get();
                            gate.exit();
                            if (late) {
                                return "a call entered after the drain";
                            }
                        }
                        return null;
                    }));
                }
                long started = System.nanoTime();
                while (entered.get() < 100) {
                    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(30), "no call got in");
                    Thread.onSpinWait();
                }
                gate.closeAndDrain();
                drained.set(true);
                for (Future<String> f : calling) {
                    assertEquals(null, f.get(30, TimeUnit.SECONDS));
                }
            } finally {
                threads.shutdownNow();
            }
        }
    }
}
