package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static brmr.it.Expect.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two compute clients and one pool: a second client that reuses the first one's session names is
 * refused, not given the sessions; forced, it takes the pool over and fences the first, which stops
 * reconnecting (no livelock, even after it was frozen and resumed), and the legs stay one truth.
 */
class SecondClientIT {
    private static final long MAPPED_SIZE = 65536;
    private static final int CHUNK = 131072;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.requireTools("qemu-io");
    }

    private static long joins(LocalPool pool, int member) throws Exception {
        return Files.readAllLines(pool.node(member).stateDir.resolve("brmr-server.log")).stream()
                .filter(line -> line.contains("compute session s" + member + " joined")).count();
    }

    private static String state(DaemonProcess client, int member) {
        return ok(client.ctl("read", "rmr-client/pools/p1/sessions/s" + member + "/state")).strip();
    }

    @Test
    void aSecondClientIsRefusedThenForcedAndTheFirstIsFencedForGood() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().start();
                DaemonProcess second = DaemonProcess.client(dir.resolve("client-b"))) {
            DaemonProcess first = pool.client;
            Qemu.io(pool.nbdUri(), "write -P 0x41 0 8M");
            String firstId = Files.readString(dir.resolve("client/client-id")).strip();
            String secondId = Files.readString(dir.resolve("client-b/client-id")).strip();
            assertNotEquals(firstId, secondId, "each client has an identity of its own in its state dir");

            ok(second.ctl("write", "rmr-client/ctl/join_pool", "poolname=p1 chunk_size=" + CHUNK));
            for (int member = 1; member <= 2; member++) {
                refused(second.ctl("write", "rmr-client/pools/p1/add_sess", "sessname=s" + member
                        + " path=ip:127.0.0.1:" + pool.node(member).port + " mode=assemble"), "sessname: 127.0.0.1:"
                        + pool.node(member).port + " refused session s" + member + ": pool p1 on member " + member
                        + " is in use by another client; add the session with force=1 to take it over (that client "
                        + "is then fenced)");
                assertEquals("normal", state(first, member), "the refusal leaves the first client serving");
            }
            Qemu.io(pool.nbdUri(), "write -P 0x42 0 1M", "read -P 0x42 0 1M");

            first.freeze();
            try {
                for (int member = 1; member <= 2; member++) {
                    ok(second.ctl("write", "rmr-client/pools/p1/add_sess", "sessname=s" + member
                            + " path=ip:127.0.0.1:" + pool.node(member).port + " mode=assemble force=1"));
                }
                ok(second.ctl("write", "rmr-client/pools/p1/pool_enable", "1"));
                ok(second.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE));
            } finally {
                first.thaw();
            }
            String secondUri = ok(second.ctl("read", "brmr-client/ctl/devices/brmr0/nbd")).strip();
            Qemu.io(secondUri, "read -P 0x42 0 1M", "write -P 0x43 1M 1M");

            for (int member = 1; member <= 2; member++) {
                int m = member;
                eventually(Duration.ofSeconds(60), "the first client's session s" + m + " fenced for good",
                        () -> state(first, m), "failed"::equals);
            }
            String status = ok(first.ctl("status", "--json"));
            assertTrue(status.contains("is fenced from pool p1"), status);
            long[] joinsBefore = {joins(pool, 1), joins(pool, 2)};
            // an observation window, not a synchronisation: a livelock rejoined about 200 times a second
            Thread.sleep(Duration.ofSeconds(3));
            assertEquals(joinsBefore[0], joins(pool, 1), "the fenced client does not take session s1 back");
            assertEquals(joinsBefore[1], joins(pool, 2), "the fenced client does not take session s2 back");
            assertEquals(List.of("normal", "normal"), List.of(state(second, 1), state(second, 2)));
            Qemu.io(secondUri, "read -P 0x43 1M 1M", "read -P 0x41 2M 6M");
            // the take-over turned the first client's last writes into dirty marks: the sync resolves them
            for (LocalPool.Node node : pool.nodes) {
                Recovery.syncToTheEnd(pool, node.member);
            }
            Recovery.verifyFindsNoDifference(pool, 1);
            Recovery.legsIdentical(pool);
        }
    }
}
