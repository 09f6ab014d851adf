package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code brmrctl events} against real daemons: the client's stream shows a session leave service when
 * its storage node is killed and come back when the node is restarted; a stream from the killed node
 * itself ends with exit 1.
 */
class EventsIT {
    private static final long MAPPED_SIZE = 20480;
    private static final int CHUNK = 131072;
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** A running {@code brmrctl events}, its lines collected as they come; stopped by PID on close. */
    private static final class EventsProcess implements AutoCloseable {
        private final Process process;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> seen = new ArrayList<>();
        private final CompletableFuture<String> stderr;

        EventsProcess(DaemonProcess daemon, String... options) throws IOException {
            List<String> command = Commands.of(Image.launcher("brmrctl").toString(), "--socket",
                    daemon.socket().toString(), "events");
            command.addAll(List.of(options));
            process = new ProcessBuilder(command).start();
            stderr = Commands.drain(process.getErrorStream());
            Thread.ofVirtual().name("events reader").start(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("(reading failed: " + e + ")");
                }
            });
        }

        /** The first line from now on that matches, waiting at most {@link #LIMIT}. */
        String await(String what, Predicate<String> matches) throws InterruptedException {
            return awaitAll(what, List.of(matches)).getFirst();
        }

        /**
         * Reads on until each condition matched a line, in any order (one poll's changes come together);
         * returns the matching lines in the conditions' order.
         */
        List<String> awaitAll(String what, List<Predicate<String>> conditions) throws InterruptedException {
            long deadline = System.nanoTime() + LIMIT.toNanos();
            String[] matched = new String[conditions.size()];
            while (Arrays.stream(matched).anyMatch(m -> m == null)) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new AssertionError("no line " + what + " within " + LIMIT + "; lines so far:\n"
                            + String.join("\n", seen) + "\nstderr: " + (process.isAlive() ? "(running)" : stderr.join()));
                }
                seen.add(line);
                for (int i = 0; i < matched.length; i++) {
                    if (matched[i] == null && conditions.get(i).test(line)) {
                        matched[i] = line;
                    }
                }
            }
            return List.of(matched);
        }

        /** Waits for the command to exit by itself; returns its exit code. */
        int awaitExit() throws InterruptedException {
            assertTrue(process.waitFor(LIMIT.toSeconds(), TimeUnit.SECONDS), "brmrctl events still running");
            return process.exitValue();
        }

        String stderr() {
            return stderr.join();
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Test
    void aKilledNodesSessionLeavesServiceAndComesBackInTheClientsEventStream() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK);
                EventsProcess events = new EventsProcess(pool.client);
                EventsProcess nodeEvents = new EventsProcess(pool.daemon(2), "--json")) {
            events.await("exists session s2 normal", "exists session name:s2 pool:p1 state:normal member:2"::equals);
            events.await("exists device brmr0", line -> line.startsWith("exists device name:brmr0 pool:p1 state:ready"));
            events.await("end of the initial dump", "exists -"::equals);

            String pool2 = nodeEvents.await("the node's pool in JSON", line -> line.contains("\"object\":\"pool\""));
            Map<String, Object> json = JSON.std.mapFrom(pool2);
            assertEquals("exists", json.get("type"), pool2);
            assertEquals("p1", json.get("name"), pool2);
            assertTrue(json.containsKey("time") && json.containsKey("field") && json.containsKey("value"), pool2);
            nodeEvents.await("the JSON dump's end", line -> line.contains("\"object\":\"-\""));

            pool.daemon(2).kill();
            events.awaitAll("s2 out of service and the pool down to one leg", List.of(
                    line -> line.startsWith("change session name:s2 pool:p1 state:")
                            && Recovery.OUT_OF_SERVICE.contains(line.substring(line.lastIndexOf(':') + 1)),
                    "change pool name:p1 in_service:1/2"::equals));
            assertEquals(1, nodeEvents.awaitExit(), "a stream from the killed node ends");
            assertTrue(nodeEvents.stderr().contains("ended the stream"), nodeEvents.stderr());

            pool.restartAndReadd(2);
            events.awaitAll("s2 back in service and the pool on both legs", List.of(
                    "change session name:s2 pool:p1 state:normal"::equals,
                    "change pool name:p1 in_service:2/2"::equals));
        }
    }
}
