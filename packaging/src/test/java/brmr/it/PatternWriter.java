package brmr.it;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client that writes a pattern to a random place of the device and reads it back, over and over
 * with qemu-io through NBD, until closed; every round must pass.
 */
final class PatternWriter implements AutoCloseable {
    private final String uri;
    private final long bytes;
    private final Thread thread;
    private final AtomicInteger rounds = new AtomicInteger();
    private final List<String> failures = new ArrayList<>();
    private volatile boolean stop;

    PatternWriter(String uri, long bytes, long seed) {
        this.uri = uri;
        this.bytes = bytes;
        this.thread = Thread.ofVirtual().name("pattern-writer").start(() -> run(new Random(seed)));
    }

    private void run(Random random) {
        while (!stop) {
            int pattern = 1 + random.nextInt(250);
            long offset = random.nextLong(bytes / 65536) * 65536;
            int length = 4096 * (1 + random.nextInt(32));
            CommandResult result = Qemu.ioResult(uri, "write -P " + pattern + " " + offset + " " + length,
                    "read -P " + pattern + " " + offset + " " + length);
            if (result.exit() != 0 || result.out().contains("failed") || result.out().contains("verification")) {
                synchronized (failures) {
                    failures.add("round " + rounds.get() + " at " + offset + "+" + length + ": " + result);
                }
                return;
            }
            rounds.incrementAndGet();
        }
    }

    int rounds() {
        return rounds.get();
    }

    /** Rounds done so far; fails at once if a round failed. */
    int check() {
        synchronized (failures) {
            if (!failures.isEmpty()) {
                throw new AssertionError("the client's writes failed: " + failures);
            }
        }
        return rounds.get();
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the client", e);
        }
        check();
    }
}
