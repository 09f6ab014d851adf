package brmr.admin.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.events.StateEvent;
import brmr.admin.events.StateSnapshot;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The control socket's events stream: the current state first, then each change, ending when the daemon closes. */
class ControlServerEventsTest {
    @TempDir
    Path dir;

    /** The state the fake daemon reports; written by the test, read by the stream. */
    private volatile String state = "normal";

    private StateSnapshot snapshot() {
        StateSnapshot snapshot = new StateSnapshot();
        snapshot.object("session", "name", "s1", "pool", "p1").put("state", state);
        return snapshot;
    }

    private static String next(BlockingQueue<String> lines) throws InterruptedException {
        String line = lines.poll(10, TimeUnit.SECONDS);
        assertNotNull(line, "no event within 10 s");
        return line;
    }

    @Test
    void aSubscriberSeesTheStateThenEachChangeAndTheStreamEndsWhenTheServerCloses() throws Exception {
        Path socket = dir.resolve("control.sock");
        Supplier<StateSnapshot> states = this::snapshot;
        ControlServer server = new ControlServer(socket, new ControlTree(), () -> "{}", states);
        server.start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
            try (ControlClient client = ControlClient.connect(socket)) {
                client.events(event -> lines.add(event.text()));
            } catch (Exception e) {
                lines.add("failed: " + e);
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        try {
            assertEquals("exists session name:s1 pool:p1 state:normal", next(lines));
            assertEquals("exists " + StateEvent.END_OF_DUMP, next(lines));
            state = "failed";
            assertEquals("change session name:s1 pool:p1 state:failed", next(lines));
            state = "normal";
            assertEquals("change session name:s1 pool:p1 state:normal", next(lines));
        } finally {
            server.close();
        }
        stream.get(10, TimeUnit.SECONDS);
        assertTrue(lines.isEmpty(), lines.toString());
    }

    @Test
    void aDaemonWithoutEventsRefusesTheRequestByName() throws Exception {
        Path socket = dir.resolve("plain.sock");
        try (ControlServer server = new ControlServer(socket, new ControlTree(), () -> "{}")) {
            server.start();
            try (ControlClient client = ControlClient.connect(socket)) {
                ControlException refused = org.junit.jupiter.api.Assertions.assertThrows(ControlException.class,
                        () -> client.events(event -> { }));
                assertEquals("events: op: this daemon streams no events", refused.getMessage());
            }
        }
    }
}
