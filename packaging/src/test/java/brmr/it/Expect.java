package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.function.Supplier;

/** Assertions on brmrctl results, and waiting for a condition with a deadline (never a fixed sleep). */
final class Expect {
    private Expect() {
    }

    /** The command succeeded quietly; returns its output. */
    static String ok(CommandResult result) {
        assertEquals(0, result.exit(), result::toString);
        assertEquals("", result.err(), result::toString);
        return result.out();
    }

    /** The command was refused with exactly this one-line error. */
    static void refused(CommandResult result, String error) {
        assertEquals(1, result.exit(), result::toString);
        assertEquals(error + "\n", result.err(), result::toString);
        assertEquals("", result.out(), result::toString);
    }

    /** Polls until {@code condition} holds; fails with {@code what} and the last observation at the deadline. */
    static void eventually(Duration limit, String what, Supplier<String> observation, java.util.function.Predicate<String> condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        String last = observation.get();
        while (!condition.test(last)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + limit + " waiting for " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
            last = observation.get();
        }
    }
}
