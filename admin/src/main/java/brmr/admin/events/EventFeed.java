package brmr.admin.events;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;

/**
 * The events one {@code brmrctl events} subscriber receives. The daemon's objects are compared every
 * {@link #PERIOD} rather than reported from where they change: one place to look, and nothing added to
 * the IO or state-change paths. A state that flips and flips back within one period shows in the
 * daemon's log, not in the stream.
 */
public final class EventFeed {
    public static final Duration PERIOD = Duration.ofMillis(200);

    /** Where the events go; throws when the subscriber is gone. */
    @FunctionalInterface
    public interface Sink {
        void accept(StateEvent event) throws IOException;
    }

    private EventFeed() {
    }

    /** Sends the initial dump, then the changes, until the sink fails or the thread is interrupted. */
    public static void run(Supplier<StateSnapshot> states, Sink sink) throws IOException {
        StateSnapshot last = states.get();
        for (StateEvent event : StateDiff.exists(last, Instant.now())) {
            sink.accept(event);
        }
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(PERIOD);
            } catch (InterruptedException e) {
                return;
            }
            StateSnapshot next = states.get();
            for (StateEvent event : StateDiff.between(last, next, Instant.now())) {
                sink.accept(event);
            }
            last = next;
        }
    }
}
