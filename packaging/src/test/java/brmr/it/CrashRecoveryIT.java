package brmr.it;

import static brmr.it.Expect.ok;
import static brmr.it.Expect.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash-consistent recovery between real processes: a compute client killed in the middle of
 * random writes leaves writes that reached some legs only; the next client's assembly turns every
 * chunk a leg may have written alone into dirty marks, the sync makes the legs one truth, and verify
 * and a byte comparison prove it. A stale leg that comes back alone is refused, not served.
 */
class CrashRecoveryIT {
    private static final long MAPPED_SIZE = 131072;
    private static final int CHUNK = 131072;
    private static final Pattern MARKED = Pattern.compile("turned into dirty marks per member: \\{([^}]*)}");

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Fio.requireNbdEngine();
        Qemu.requireTools("qemu-io");
    }

    /**
     * A new client daemon on the old one's state dir (its identity, not its journal), joined, with assemble
     * sessions to {@code members}.
     */
    private static DaemonProcess assemble(LocalPool pool, Path stateDir, int... members) throws Exception {
        DaemonProcess client = DaemonProcess.client(stateDir, "--restore", "no");
        ok(client.ctl("write", "rmr-client/ctl/join_pool", "poolname=p1 chunk_size=" + CHUNK));
        for (int member : members) {
            addSession(client, pool.node(member));
        }
        return client;
    }

    private static void addSession(DaemonProcess client, LocalPool.Node node) {
        ok(client.ctl("write", "rmr-client/pools/p1/add_sess", "sessname=" + node.session() + " path=ip:127.0.0.1:"
                + node.port + " mode=assemble"));
    }

    /** The sync sessions of every node, once all are up again. */
    private static void joinSyncSessions(LocalPool pool) {
        for (LocalPool.Node node : pool.nodes) {
            pool.joinSync(node);
        }
    }

    private static String lastMarked(Path log) throws Exception {
        String marked = "none";
        for (String line : Files.readAllLines(log)) {
            Matcher m = MARKED.matcher(line);
            if (m.find()) {
                marked = m.group(1);
            }
        }
        return marked;
    }

    @RepeatedTest(5)
    void aClientKilledMidWriteLeavesNoSilentDifference(RepetitionInfo repetition) throws Exception {
        int round = repetition.getCurrentRepetition();
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().start()) {
            try (Fio fio = Fio.start(dir, "crash", pool.nbdUri(), false, "--rw=randwrite", "--bs=4k",
                    "--iodepth=32", "--size=" + MAPPED_SIZE * 512, "--time_based", "--runtime=30",
                    "--randseed=" + round)) {
                Expect.eventually(Duration.ofSeconds(30), "fio's IO flowing", fio::progress, line -> fio.ioSeen());
                pool.client.kill();
            }
            Path stateDir = dir.resolve("client");
            pool.client = assemble(pool, stateDir, 1, 2);
            ok(pool.client.ctl("write", "rmr-client/pools/p1/pool_enable", "1"));
            ok(pool.client.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE));
            String marked = lastMarked(stateDir.resolve("brmr-client.log"));
            System.out.printf("[brmr tests] client crash, run %d: recovery marked active chunks per member: %s%n",
                    round, marked);
            for (LocalPool.Node node : pool.nodes) {
                Recovery.syncToTheEnd(pool, node.member);
            }
            Recovery.verifyFindsNoDifference(pool, 1);
            Recovery.legsIdentical(pool);
            String uri = pool.nbdUri();
            Path first = dir.resolve("read1.img");
            Path second = dir.resolve("read2.img");
            Qemu.readAll(uri, first);
            Qemu.readAll(uri, second);
            assertEquals(-1L, Files.mismatch(first, second), "two full reads through NBD return the same bytes");
            Files.delete(first);
            Files.delete(second);
        }
    }

    @Test
    void aStaleLegThatComesBackAloneIsRefusedAndServesOnceTheCurrentOneIsBack() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().start()) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x51 0 4M");
            pool.daemon(2).kill();
            Recovery.awaitSession(pool, 2, Recovery.OUT_OF_SERVICE, Duration.ofSeconds(30));
            Qemu.io(uri, "write -P 0x52 0 1M");
            pool.client.kill();
            pool.daemon(1).kill();

            pool.restartAndReadd(2);
            Path stateDir = dir.resolve("client");
            pool.client = assemble(pool, stateDir, 2);
            CommandResult enable = pool.client.ctl("write", "rmr-client/pools/p1/pool_enable", "1");
            assertEquals(1, enable.exit(), enable.toString());
            assertTrue(enable.err().contains("member 1 was in service at map version"), enable.toString());
            refused(pool.client.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE),
                    "pool: no leg of p1 is reachable and enabled");

            pool.restartAndReadd(1);
            joinSyncSessions(pool);
            addSession(pool.client, pool.node(1));
            ok(pool.client.ctl("write", "rmr-client/pools/p1/pool_enable", "1"));
            assertEquals("normal normal", pool.sessionState(1) + " " + pool.sessionState(2));
            ok(pool.client.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE));
            Qemu.io(pool.nbdUri(), "read -P 0x52 0 1M", "read -P 0x51 1M 3M");
            Recovery.syncToTheEnd(pool, 2);
            Recovery.verifyFindsNoDifference(pool, 1);
            Recovery.legsIdentical(pool);
        }
    }

    @Test
    void aSplitBrainIsRefusedAndResolvedByDiscardingOneSide() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().start()) {
            Qemu.io(pool.nbdUri(), "write -P 0x61 0 4M");
            pool.daemon(2).kill();
            Recovery.awaitSession(pool, 2, Recovery.OUT_OF_SERVICE, Duration.ofSeconds(30));
            Qemu.io(pool.nbdUri(), "write -P 0x62 0 1M");
            pool.client.kill();
            pool.daemon(1).kill();

            // a second client serves member 2 alone, by force, and writes what member 1 never sees
            pool.restartAndReadd(2);
            DaemonProcess other = assemble(pool, dir.resolve("client-b"), 2);
            try {
                ok(other.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE + " force=1"));
                Qemu.io(ok(other.ctl("read", "brmr-client/ctl/devices/brmr0/nbd")).strip(), "write -P 0x63 2M 1M");
            } finally {
                other.kill();
            }

            pool.restartAndReadd(1);
            joinSyncSessions(pool);
            pool.client = assemble(pool, dir.resolve("client"), 1, 2);
            CommandResult enable = pool.client.ctl("write", "rmr-client/pools/p1/pool_enable", "1");
            assertEquals(1, enable.exit(), enable.toString());
            assertTrue(enable.err().contains("split brain: member 1 went on at writer epoch"), enable.toString());
            assertTrue(enable.err().contains("discard_my_data"), enable.toString());

            ok(pool.client.ctl("write", "rmr-client/pools/p1/sessions/s2/del_sess", "mode=disassemble"));
            ok(pool.daemon(2).ctl("write", "brmr-server/stores/p1/discard_my_data", "1"));
            addSession(pool.client, pool.node(2));
            Recovery.awaitSession(pool, 1, Set.of("normal"), Duration.ofSeconds(30));
            Recovery.awaitSession(pool, 2, Set.of("normal"), Duration.ofSeconds(30));
            ok(pool.client.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE));
            Recovery.syncToTheEnd(pool, 2);
            Recovery.verifyFindsNoDifference(pool, 1);
            Recovery.legsIdentical(pool);
            Qemu.io(pool.nbdUri(), "read -P 0x62 0 1M", "read -P 0x61 1M 3M");
        }
    }

    @Test
    void aNewPoolIsSyncedFromItsFirstLegSoEveryBlockReadsTheSameFromEveryLeg() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().initialSync().start()) {
            assertEquals("member 1: [] 0/512 dirty", pool.read(1, "map_summary").lines().findFirst().orElseThrow());
            assertTrue(pool.read(1, "map_summary").endsWith("512/512 dirty"), pool.read(1, "map_summary"));
            Qemu.io(pool.nbdUri(), "write -P 0x71 1M 1M", "read -P 0x71 1M 1M", "read -P 0 0 1M");
            Recovery.syncToTheEnd(pool, 2);
            Recovery.verifyFindsNoDifference(pool, 1);
            Recovery.legsIdentical(pool);
        }
    }

    @Test
    void aClientAndAStorageNodeKilledTogetherMidWrite() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().start()) {
            try (Fio fio = Fio.start(dir, "crash2", pool.nbdUri(), false, "--rw=randwrite", "--bs=4k",
                    "--iodepth=32", "--size=" + MAPPED_SIZE * 512, "--time_based", "--runtime=30")) {
                Expect.eventually(Duration.ofSeconds(30), "fio's IO flowing", fio::progress, line -> fio.ioSeen());
                pool.client.kill();
                pool.daemon(2).kill();
            }
            // the node's record of what it was being written survived its own crash
            pool.restart(2, true);
            ok(pool.daemon(2).ctl("write", "brmr-server/ctl/add_store", "device=" + pool.node(2).disk.path()
                    + " pool=p1"));
            Path stateDir = dir.resolve("client");
            pool.client = assemble(pool, stateDir, 1, 2);
            Recovery.awaitSession(pool, 1, Set.of("normal"), Duration.ofSeconds(30));
            Recovery.awaitSession(pool, 2, Set.of("normal"), Duration.ofSeconds(30));
            ok(pool.client.ctl("write", "brmr-client/ctl/map_device", "pool=p1 size=" + MAPPED_SIZE));
            System.out.printf("[brmr tests] client and node 2 killed together: recovery marked active chunks per "
                    + "member: %s%n", lastMarked(stateDir.resolve("brmr-client.log")));
            for (LocalPool.Node node : pool.nodes) {
                Recovery.syncToTheEnd(pool, node.member);
            }
            Recovery.verifyFindsNoDifference(pool, 1);
            Recovery.legsIdentical(pool);
        }
    }
}
