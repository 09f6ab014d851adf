package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node that stops answering without closing its connections (SIGSTOP) while fio writes
 * and verifies through NBD: the client fails the leg within the peer timeout and no IO waits longer
 * than that plus a second; after SIGCONT the leg returns by itself through a map update, and after a
 * sync the legs agree to the byte.
 */
class FrozenPeerIT {
    private static final long MAPPED_SIZE = 131072;
    private static final int CHUNK = 131072;
    private static final Duration FREEZE = Duration.ofSeconds(45);
    /** fio runs through the freeze and a while after it, so that the leg's return is under load too. */
    private static final int FIO_SECONDS = 60;
    private static final String S2_STATE = "rmr-client/pools/p1/sessions/s2/state";
    /** The watch polls every 10 ms, but the client's control socket may answer late on a busy machine. */
    private static final long DETECTION_SLACK_MILLIS = 1000;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Fio.requireNbdEngine();
    }

    @RepeatedTest(3)
    void frozenLegCostsTheClientNoMoreThanThePeerTimeoutAndReturnsByItself(RepetitionInfo repetition)
            throws Exception {
        int round = repetition.getCurrentRepetition();
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().start()) {
            long timeout = Long.parseLong(ok(pool.client.ctl("read", "rmr-client/pools/p1/peer_timeout")).strip());
            assertEquals(5, timeout, "the default peer timeout");
            DaemonProcess node2 = pool.daemon(2);
            Duration detected;
            Fio.Report report;
            try (Fio fio = Fio.start(dir, "frozen", pool.nbdUri(), true, "--rw=randwrite", "--bsrange=4k-64k",
                    "--iodepth=16", "--size=" + MAPPED_SIZE * 512, "--verify=crc32c", "--verify_fatal=1",
                    "--verify_backlog=256", "--time_based", "--runtime=" + FIO_SECONDS, "--rate=16m",
                    "--randseed=" + round)) {
                eventually(Duration.ofSeconds(30), "fio's IO flowing", fio::progress, line -> fio.ioSeen());
                node2.freeze();
                Instant stopped = Instant.now();
                try {
                    try (Watch failed = Watch.start("session s2 out of service", () -> Watch.read(pool.client,
                            S2_STATE), Recovery.OUT_OF_SERVICE::contains)) {
                        detected = Duration.between(stopped, failed.await(FREEZE));
                    }
                    System.out.printf("[brmr tests] frozen peer, repetition %d: session s2 out of service %d ms "
                            + "after SIGSTOP%n", round, detected.toMillis());
                    // the deliberate freeze: a hung node stays hung far longer than any timeout
                    Thread.sleep(Math.max(0, Duration.between(Instant.now(), stopped.plus(FREEZE)).toMillis()));
                    assertTrue(Recovery.OUT_OF_SERVICE.contains(pool.sessionState(2)),
                            "s2 stays out of service while node 2 is stopped: " + pool.sessionState(2));
                } finally {
                    node2.thaw();
                }
                Duration back = Recovery.awaitSession(pool, 2, Set.of("normal"), Duration.ofSeconds(60));
                System.out.printf("[brmr tests] frozen peer, repetition %d: session s2 back in service %d ms after "
                        + "SIGCONT (fio still running: %s)%n", round, back.toMillis(), fio.isRunning());
                report = fio.await(Duration.ofSeconds(FIO_SECONDS + 60));
            }
            report.assertNoErrors();
            assertTrue(report.bytes("write") > 0 && report.bytes("read") > 0, "fio wrote and verified: " + report);
            Fio.Gap gap = report.longestGap();
            System.out.printf("[brmr tests] frozen peer, repetition %d: longest gap between IO completions %s; "
                    + "peer timeout %d s%n", round, gap, timeout);
            assertTrue(gap.millis() < (timeout + 1) * 1000, "the longest gap between completions, " + gap
                    + ", stays under the peer timeout of " + timeout + " s plus 1 s");
            assertTrue(detected.toMillis() < (timeout + 1) * 1000 + DETECTION_SLACK_MILLIS, "s2 failed " + detected
                    + " after SIGSTOP: within the peer timeout plus a heartbeat (and polling slack)");
            assertEquals("normal", pool.read(2, "state"), "node 2 serves again after its map update");
            Recovery.syncVerifyCompare(pool, 2);
        }
    }
}
