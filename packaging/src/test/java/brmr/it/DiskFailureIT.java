package brmr.it;

import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leg whose disk runs out of space under fio: leg 2's disk is a loop device over a sparse file on a
 * tmpfs that holds only part of it, so its writes fail part-way through the run. The client must not
 * see a single error, the failure must be visible on the node, and after the operator's repair the
 * legs must agree to the byte.
 */
class DiskFailureIT {
    private static final long MAPPED_SIZE = 131072;
    private static final int CHUNK = 131072;
    private static final long MIB = 1 << 20;
    /** What leg 2's tmpfs holds beyond the fresh store: a quarter of the data fio writes. */
    private static final long ROOM = 16 * MIB;
    private static final Pattern LOGGED_IO_FAILURE = Pattern.compile(
            "(?i).*\\boffset\\W{0,3}\\d+.*\\blength\\W{0,3}\\d+.*(errno|\\bE[A-Z]{2,}\\b).*");
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        TestDisk.requireLoopDevices();
        Fio.requireNbdEngine();
    }

    @RepeatedTest(3)
    void legWhoseDiskFillsUpIsFailedWithoutAClientErrorAndRepairedWithoutADifference(RepetitionInfo repetition)
            throws Exception {
        long diskBytes = LocalPool.diskBytes(MAPPED_SIZE, CHUNK);
        try (TmpfsMount tmpfs = TmpfsMount.mount(dir.resolve("leg2-tmpfs"), diskBytes + MIB);
                LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions()
                        .diskDir(2, tmpfs.path()).start()) {
            tmpfs.resize(tmpfs.usedBytes() + ROOM);
            String device = pool.node(2).disk.path().toString();
            long bytes = MAPPED_SIZE * 512;

            Instant fioStarted = Instant.now();
            Fio.Report report;
            Instant full;
            Instant failed;
            try (Watch diskFull = Watch.start("leg 2's tmpfs full", () -> freeBytes(tmpfs),
                    free -> Long.parseLong(free) < 64 * 1024);
                    Watch sessionFailed = Watch.start("session s2 out of service", () -> Watch.read(pool.client,
                            "rmr-client/pools/p1/sessions/s2/state"), Recovery.OUT_OF_SERVICE::contains);
                    Fio fio = Fio.start(dir, "fill", pool.nbdUri(), false, "--rw=randwrite", "--bsrange=4k-64k",
                            "--iodepth=16", "--size=" + bytes, "--verify=crc32c", "--verify_fatal=1",
                            "--randseed=" + repetition.getCurrentRepetition())) {
                report = fio.await(Duration.ofMinutes(3));
                full = diskFull.matched();
                failed = sessionFailed.matched();
            }
            report.assertNoErrors();
            assertTrue(report.bytes("write") > ROOM, "fio wrote past what leg 2 could hold: " + report);
            assertEquals(report.bytes("write"), report.bytes("read"), "fio read back all it wrote: " + report);

            Instant firstError = failureIsVisibleOnTheNode(pool, device);
            System.out.printf("[brmr tests] disk failure, repetition %d: leg 2's disk full %d ms after fio started; "
                    + "first IO error logged %d ms after that; session s2 out of service %d ms after the first "
                    + "logged IO error (%d ms after the disk filled; polled every 10 ms)%n",
                    repetition.getCurrentRepetition(), Duration.between(fioStarted, full).toMillis(),
                    Duration.between(full, firstError).toMillis(), Duration.between(firstError, failed).toMillis(),
                    Duration.between(full, failed).toMillis());
            assertTrue(Recovery.OUT_OF_SERVICE.contains(pool.sessionState(2)),
                    "no automatic rejoin of a failed store: " + pool.sessionState(2));

            tmpfs.resize(diskBytes + MIB);
            DaemonProcess node2 = pool.daemon(2);
            ok(node2.ctl("write", "brmr-server/stores/p1/remove_store", "1"));
            ok(node2.ctl("write", "brmr-server/ctl/add_store", "device=" + device + " pool=p1"));
            assertEquals("open\nmapped", ok(node2.ctl("read", "brmr-server/stores/p1/state")).strip());
            ok(pool.client.ctl("write", "rmr-client/pools/p1/sessions/s2/reconnect", "1"));
            Recovery.awaitSession(pool, 2, Set.of("normal"), Duration.ofSeconds(30));
            assertEquals("normal", pool.read(2, "state"));
            Recovery.syncVerifyCompare(pool, 2);
        }
    }

    private static String freeBytes(TmpfsMount tmpfs) {
        try {
            return String.valueOf(tmpfs.freeBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The store says failed and why, the pool is no_io, the log and status say so; returns when the error was logged. */
    @SuppressWarnings("unchecked")
    private static Instant failureIsVisibleOnTheNode(LocalPool pool, String device) throws Exception {
        DaemonProcess node2 = pool.daemon(2);
        List<String> state = ok(node2.ctl("read", "brmr-server/stores/p1/state")).strip().lines().toList();
        assertEquals(3, state.size(), "store state: " + state);
        assertEquals(List.of("open", "mapped"), state.subList(0, 2), "store state: " + state);
        String failedLine = state.get(2);
        assertTrue(failedLine.startsWith("failed: ") && failedLine.length() > "failed: ".length(),
                "the store says it failed and why: " + state);
        assertEquals("no_io", pool.read(2, "state"));

        List<String> log = Files.readAllLines(node2.stateDir().resolve("brmr-server.log"));
        String logged = log.stream().filter(line -> line.contains(" ERROR ") && line.contains(device)).findFirst()
                .orElseThrow(() -> new AssertionError("no ERROR line naming " + device + " in the node's log:\n"
                        + String.join("\n", log)));
        assertTrue(LOGGED_IO_FAILURE.matcher(logged).matches(), "the ERROR line names offset, length and errno: "
                + logged);

        String table = ok(node2.ctl("status"));
        assertTrue(table.contains("failed") && table.contains("no_io"), "brmrctl status shows the failure:\n" + table);
        Map<String, Object> status = JSON.std.mapFrom(ok(node2.ctl("status", "--json")));
        Map<String, Object> poolStatus = ((List<Map<String, Object>>) status.get("pools")).stream()
                .filter(p -> "p1".equals(p.get("pool"))).findFirst().orElseThrow();
        Map<String, Object> store = (Map<String, Object>) poolStatus.get("store");
        assertEquals("no_io", poolStatus.get("state"), status::toString);
        assertTrue(((List<String>) store.get("state")).contains(failedLine), "status --json: " + status);

        return LocalDateTime.parse(logged.substring(0, 23), LOG_TIME).atZone(ZoneId.systemDefault()).toInstant();
    }
}
