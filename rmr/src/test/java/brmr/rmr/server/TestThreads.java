package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** Calls run on their own platform thread, so that a test can see them block. */
final class TestThreads {
    /** A call running on {@code thread}; {@code result} completes with its value, or exceptionally with what it threw. */
    record Running<T>(Thread thread, CompletableFuture<T> result) {
        /** Waits until the call blocks on a lock or monitor, or fails after a deadline. */
        Running<T> awaitBlocked() throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (thread.getState() != Thread.State.WAITING && thread.getState() != Thread.State.TIMED_WAITING) {
                assertTrue(!result.isDone() && System.nanoTime() < deadline, "the call never blocked; it is "
                        + (result.isDone() ? "done" : thread.getState().toString()));
                Thread.sleep(1);
            }
            return this;
        }
    }

    /** A call that returns nothing. */
    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private TestThreads() {
    }

    static <T> Running<T> call(Callable<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().daemon().start(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return new Running<>(thread, result);
    }

    static Running<Void> run(Action action) {
        return call(() -> {
            action.run();
            return null;
        });
    }
}
