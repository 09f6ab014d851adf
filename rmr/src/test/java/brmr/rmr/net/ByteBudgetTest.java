package brmr.rmr.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ByteBudgetTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Test
    void aShareOverItsSizeWaitsUntilBytesAreReleased() throws Exception {
        ByteBudget budget = new ByteBudget(1000, 100);
        ByteBudget.Share share = budget.newShare();
        assertEquals(80, share.acquire(80, () -> true));
        Waiter waiter = Waiter.start(() -> share.acquire(30, () -> true));
        waiter.awaitBlocked();
        share.release(80);
        assertEquals(30, waiter.result());
        assertEquals(70, share.available());
        assertEquals(970, budget.available());
    }

    @Test
    void sharesWaitForTheTotalTheyDrawFrom() throws Exception {
        ByteBudget budget = new ByteBudget(150, 100);
        ByteBudget.Share first = budget.newShare();
        ByteBudget.Share second = budget.newShare();
        assertEquals(100, first.acquire(100, () -> true));
        Waiter waiter = Waiter.start(() -> second.acquire(60, () -> true));
        waiter.awaitBlocked();
        first.release(100);
        assertEquals(60, waiter.result());
        assertEquals(90, budget.available());
    }

    @Test
    void aWaitEndsWhenTheConnectionClosesAndTakesNothing() throws Exception {
        ByteBudget budget = new ByteBudget(150, 100);
        ByteBudget.Share first = budget.newShare();
        ByteBudget.Share second = budget.newShare();
        first.acquire(100, () -> true);
        AtomicBoolean open = new AtomicBoolean(true);
        Waiter waiter = Waiter.start(() -> second.acquire(60, open::get));
        waiter.awaitBlocked();
        open.set(false);
        assertThrows(IOException.class, waiter::result);
        assertEquals(100, second.available());
        assertEquals(50, budget.available());
    }

    @Test
    void aRequestLargerThanTheShareIsChargedTheWholeShare() throws Exception {
        ByteBudget.Share share = new ByteBudget(1000, 100).newShare();
        assertEquals(100, share.acquire(1L << 40, () -> true));
        assertEquals(0, share.acquire(0, () -> true));
    }

    @Test
    void aShareLargerThanTheTotalIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new ByteBudget(10, 100));
        assertThrows(IllegalArgumentException.class, () -> new ByteBudget(10, 0));
    }

    /** An acquire on its own thread, to watch it wait. */
    private record Waiter(Thread thread, CompletableFuture<Integer> done) {
        interface Acquire {
            int run() throws IOException;
        }

        static Waiter start(Acquire acquire) {
            CompletableFuture<Integer> done = new CompletableFuture<>();
            Thread thread = Thread.ofVirtual().start(() -> {
                try {
                    done.complete(acquire.run());
                } catch (IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                }
            });
            return new Waiter(thread, done);
        }

        /** Returns once the acquire is parked waiting for room; it must not have completed. */
        void awaitBlocked() throws InterruptedException {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (thread.getState() != Thread.State.TIMED_WAITING) {
                if (System.nanoTime() > deadline || done.isDone()) {
                    throw new AssertionError("the acquire did not wait: " + done);
                }
                Thread.onSpinWait();
            }
            assertFalse(done.isDone());
        }

        int result() throws Exception {
            try {
                return done.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw e;
            }
        }
    }
}
