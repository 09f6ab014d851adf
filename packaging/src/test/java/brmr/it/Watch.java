package brmr.it;

import brmr.admin.control.ControlClient;
import brmr.admin.control.ControlCodec;
import brmr.admin.control.ControlException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Observes something every few milliseconds in the background and notes the moment a condition
 * first held: to time how fast the system reacts, where polling with brmrctl (a JVM start each
 * time) would blur the figure.
 */
final class Watch implements AutoCloseable {
    private static final long INTERVAL_MILLIS = 10;

    private final String what;
    private final Thread thread;
    /** When the condition first held; set once by the watching thread. */
    private final AtomicReference<Instant> matchedAt = new AtomicReference<>();
    /** The latest observation; written by the watching thread only. */
    private volatile String last = "(nothing observed yet)";
    private volatile boolean stop;

    private Watch(String what, Supplier<String> observation, Predicate<String> condition) {
        this.what = what;
        this.thread = Thread.ofVirtual().name("watch " + what).start(() -> run(observation, condition));
    }

    static Watch start(String what, Supplier<String> observation, Predicate<String> condition) {
        return new Watch(what, observation, condition);
    }

    /** Reads a control file of {@code daemon} over its socket, as brmrctl read does, without starting a JVM. */
    static String read(DaemonProcess daemon, String path) {
        try (ControlClient client = ControlClient.connect(daemon.socket())) {
            ControlCodec.Response response = client.call(new ControlCodec.Request("read", path, null));
            return response.ok() ? response.output().strip() : "(refused: " + response.error() + ")";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ControlException e) {
            return "(refused: " + e.getMessage() + ")";
        }
    }

    private void run(Supplier<String> observation, Predicate<String> condition) {
        while (!stop && matchedAt.get() == null) {
            String seen;
            boolean holds;
            try {
                seen = observation.get();
                holds = condition.test(seen);
            } catch (RuntimeException e) {
                seen = "(" + e + ")";
                holds = false;
            }
            Instant now = Instant.now();
            last = seen;
            if (holds) {
                matchedAt.set(now);
                return;
            }
            try {
                Thread.sleep(INTERVAL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    Optional<Instant> matchedAt() {
        return Optional.ofNullable(matchedAt.get());
    }

    /** Waits until the condition held, at most {@code limit}; then as {@link #matched}. */
    Instant await(Duration limit) throws InterruptedException {
        thread.join(limit);
        return matched();
    }

    /** When the condition first held; fails, naming the last observation, if it never did. */
    Instant matched() {
        return matchedAt().orElseThrow(() -> new AssertionError("never saw " + what + "; last seen: " + last));
    }

    @Override
    public void close() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
