package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of each daemon followed by a plain restart (the same command line, nothing typed) brings the
 * pool back to serving from the daemon's journal: a storage node rejoins its pools, re-adds its store and
 * reopens its sync session; a client assembles its sessions and exports the same device again.
 * {@code --restore no} starts empty.
 */
class RestartIT {
    private static final long MAPPED_SIZE = 131072;
    private static final int CHUNK = 131072;
    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.requireTools("qemu-io");
    }

    @Test
    void killedDaemonsComeBackAsTheyWereWithoutATypedCommand() throws Exception {
        String nbd = "127.0.0.1:" + DaemonProcess.freePort();
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions()
                .clientOptions("--nbd", nbd).start()) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x41 0 4M");

            pool.daemon(2).kill();
            Recovery.awaitSession(pool, 2, Recovery.OUT_OF_SERVICE, LIMIT);
            Qemu.io(uri, "write -P 0x42 1M 1M");
            long nodeStart = System.nanoTime();
            pool.restartAsBefore(2);
            assertTrue(status(pool.daemon(2)).contains("restored: 2 pools, 1 store, 1 session\n"),
                    status(pool.daemon(2)));
            Recovery.awaitSession(pool, 2, Set.of("normal"), LIMIT);
            figure("storage node restarted to its client session normal", nodeStart);
            eventually(LIMIT, "node 2's pool in service", () -> pool.read(2, "state"), "normal"::equals);
            eventually(LIMIT, "node 2's sync session to node 1", () -> pool.syncSessionState(2, 1), "normal"::equals);
            assertEquals("open\nmapped", ok(pool.daemon(2).ctl("read", "brmr-server/stores/p1/state")).strip());
            readsBack(uri);
            // the resync after a node's absence is the operator's, as in the guide; restore only configures
            Recovery.syncToTheEnd(pool, 2);
            for (int member = 1; member <= 2; member++) {
                String summary = pool.read(member, "map_summary");
                assertTrue(summary.lines().allMatch(line -> line.contains(": [] 0/")), summary);
            }
            Recovery.legsIdentical(pool);

            pool.client.kill();
            long clientStart = System.nanoTime();
            pool.restartClientAsBefore();
            figure("client restarted to its device exported (ready line)", clientStart);
            assertTrue(status(pool.client).contains("restored: 1 pool, 2 sessions, 1 device\n"), status(pool.client));
            assertEquals("ready", ok(pool.client.ctl("read", "brmr-client/ctl/devices/brmr0/state")).strip());
            assertEquals(uri, pool.nbdUri(), "the same device at the same NBD export");
            assertEquals("normal normal", pool.sessionState(1) + " " + pool.sessionState(2));
            readsBack(uri);
            Qemu.io(uri, "write -P 0x43 3M 64k", "read -P 0x43 3M 64k");

            pool.client.kill();
            pool.restartClientAsBefore("--restore", "no");
            String empty = status(pool.client);
            assertTrue(empty.startsWith("no pools joined (NBD on " + nbd + ")\n"), empty);
            Path aside = onlyAside(dir.resolve("client"), "skipped");
            assertTrue(empty.endsWith("restored: nothing (--restore no); kept as " + aside + "\n"), empty);

            pool.daemon(1).kill();
            pool.restartAsBefore(1, "--restore", "no");
            String node = status(pool.daemon(1));
            assertTrue(node.startsWith("no pools joined\nrestored: nothing (--restore no); kept as "), node);
        }
    }

    @Test
    void aClientRestartedWhileANodeIsDownServesOnceTheNodeIsBack() throws Exception {
        String nbd = "127.0.0.1:" + DaemonProcess.freePort();
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions()
                .clientOptions("--nbd", nbd).start()) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x41 0 2M", "write -P 0x42 1M 1M", "write -P 0x41 2M 2M");
            pool.client.kill();
            pool.daemon(2).kill();

            pool.restartClientAsBefore();
            String waiting = status(pool.client);
            assertTrue(waiting.contains("restored: 1 pool, 1 session; 4 steps failed, retrying\n"), waiting);
            assertTrue(waiting.contains("  failed: rmr-client/pools/p1/sessions/s1/enable '1': pool: p1: member 2 was "
                    + "in service at map version"), "member 1 alone cannot prove it is current: " + waiting);
            assertTrue(waiting.contains("  failed: rmr-client/pools/p1/add_sess 'sessname=s2 path=ip:127.0.0.1:"
                    + pool.node(2).port + " mode=assemble': path: cannot reach "), waiting);
            assertEquals(1, pool.client.ctl("read", "brmr-client/ctl/devices/brmr0/state").exit(), "no device yet");

            long nodeStart = System.nanoTime();
            pool.restartAsBefore(2);
            eventually(LIMIT, "the client's retries to map the device once node 2 is back", () -> status(pool.client),
                    text -> text.contains("restored: 1 pool, 2 sessions, 1 device\n"));
            figure("node back to the client's retried restore done", nodeStart);
            assertEquals("normal normal", pool.sessionState(1) + " " + pool.sessionState(2));
            assertEquals(uri, pool.nbdUri());
            readsBack(uri);
        }
    }

    private static void figure(String what, long startNanos) {
        System.out.printf("[brmr tests] restart: %s in %d ms%n", what, (System.nanoTime() - startNanos) / 1_000_000);
    }

    private static void readsBack(String uri) {
        Qemu.io(uri, "read -P 0x41 0 1M", "read -P 0x42 1M 1M", "read -P 0x41 2M 2M");
    }

    private static String status(DaemonProcess daemon) {
        return ok(daemon.ctl("status"));
    }

    private static Path onlyAside(Path stateDir, String why) throws Exception {
        try (Stream<Path> files = Files.list(stateDir)) {
            List<Path> aside = files.filter(p -> p.getFileName().toString().startsWith("journal.json." + why + "-"))
                    .toList();
            assertEquals(1, aside.size(), aside.toString());
            return aside.getFirst();
        }
    }
}
