package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static brmr.it.Expect.refused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.device.BlockDevice;
import brmr.metadata.MetadataArea;
import brmr.metadata.StoreMetadata;
import com.fasterxml.jackson.jr.ob.JSON;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's replace command end to end between real processes: remove the store of a failed disk,
 * add an empty disk with mode=replace (verified against the peer over the sync sessions), resync it
 * while a client keeps writing and verifying through NBD; and the same with crashes mid-sync.
 */
class DiskReplacementIT {
    private static final long MAPPED_SIZE = 204800;
    private static final int CHUNK = 131072;
    private static final String CLEAN_MAPS = "member 1: [] 0/800 dirty\nmember 2: [] 0/800 dirty";

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.requireTools("qemu-io");
    }

    private static void rounds(PatternWriter writer, int more) {
        int target = writer.check() + more;
        eventually(Duration.ofSeconds(60), more + " more client rounds", () -> String.valueOf(writer.check()),
                done -> Integer.parseInt(done) >= target);
    }

    private static void sessionState(LocalPool pool, int member, Set<String> states) {
        eventually(Duration.ofSeconds(30), "session s" + member + " in " + states, () -> pool.sessionState(member),
                states::contains);
    }

    /** remove_store on node 2, then add_store mode=replace with an empty disk; returns the new disk. */
    private static TestDisk removeAndReplace(LocalPool pool) throws Exception {
        ok(pool.daemon(2).ctl("write", "/sys/class/brmr-server/stores/p1/remove_store", "1"));
        sessionState(pool, 2, Set.of("failed", "reconnecting"));
        TestDisk fresh = pool.emptyDisk("disk2-new");
        ok(pool.daemon(2).ctl("write", "/sys/devices/virtual/brmr-server/ctl/add_store",
                "device=" + fresh.path() + " pool=p1 mapped_size=" + MAPPED_SIZE + " mode=replace"));
        pool.replaceDisk(2, fresh);
        assertEquals("open\nmapped", ok(pool.daemon(2).ctl("read", "brmr-server/stores/p1/state")).strip());
        sessionState(pool, 2, Set.of("normal"));
        return fresh;
    }

    private static Map<String, Object> progress(LocalPool pool, int member) throws Exception {
        return JSON.std.mapFrom(ok(pool.daemon(member).ctl("read", "rmr-server/pools/p1/sync_progress")));
    }

    private static long number(Map<String, Object> json, String key) {
        return ((Number) json.get(key)).longValue();
    }

    private static void waitSynced(LocalPool pool, long chunks) {
        eventually(Duration.ofSeconds(60), "at least " + chunks + " chunks synced", () -> {
            try {
                return String.valueOf(number(progress(pool, 2), "synced"));
            } catch (Exception e) {
                return "-1";
            }
        }, synced -> Long.parseLong(synced) >= chunks);
    }

    private static void syncToTheEnd(LocalPool pool) {
        ok(pool.daemon(2).ctl("write", "/sys/class/rmr-server/pools/p1/sync", "start"));
        String done = ok(pool.daemon(2).ctl("sync", "p1", "--wait"));
        assertTrue(done.startsWith("p1: done 100.0% [##############################] 800/800 chunks clean"), done);
    }

    private static void legsIdentical(LocalPool pool) throws Exception {
        for (int member = 1; member <= 2; member++) {
            int m = member;
            eventually(Duration.ofSeconds(30), "node " + member + " knows every chunk is clean",
                    () -> pool.read(m, "map_summary"), CLEAN_MAPS::equals);
        }
        assertEquals(List.of(), pool.differingChunks(1, 2), "both legs' data areas are byte-identical");
    }

    @Test
    void replacedDiskIsVerifiedAndResyncedWhileTheClientWritesAndVerifies() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK, true)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x01 0 100M");
            assertEquals("normal", pool.syncSessionState(2, 1));
            TestDisk fresh;
            try (PatternWriter writer = new PatternWriter(uri, MAPPED_SIZE * 512, 1)) {
                rounds(writer, 3);
                fresh = removeAndReplace(pool);
                rounds(writer, 3);
                String summary = pool.read(1, "map_summary");
                assertTrue(MapSummaryText.parse(summary).get(2).size() > 700,
                        "the peer now counts (nearly) every chunk as missing on the new disk: " + summary);
                syncToTheEnd(pool);
                rounds(writer, 3);
            }
            legsIdentical(pool);
            String examined = ok(pool.daemon(2).ctl("examine", fresh.path().toString()));
            assertTrue(examined.contains("flags:       mapped"), examined);
            assertTrue(examined.contains("pool uuid:   " + ok(pool.daemon(1).ctl("read",
                    "brmr-server/stores/p1/pool_uuid")).strip()), examined);
        }
    }

    @Test
    void replacingNodeKilledMidSyncResumesWhereItStopped() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK, true, "--sync-rate-mib", "10")) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x02 0 100M");
            TestDisk fresh;
            try (PatternWriter writer = new PatternWriter(uri, MAPPED_SIZE * 512, 2)) {
                fresh = removeAndReplace(pool);
                ok(pool.daemon(2).ctl("write", "rmr-server/pools/p1/sync", "start"));
                waitSynced(pool, 200);
                pool.daemon(2).kill();
                sessionState(pool, 2, Set.of("failed", "reconnecting"));
                rounds(writer, 3);
                pool.restart(2, true);
                ok(pool.daemon(2).ctl("write", "brmr-server/ctl/add_store", "device=" + fresh.path() + " pool=p1"));
                long left = MapSummaryText.parse(pool.read(2, "map_summary")).get(2).size();
                assertTrue(left > 0 && left < 800 - 150, "the re-added disk still lacks " + left
                        + " chunks: the sync resumes, it does not restart from zero");
                sessionState(pool, 2, Set.of("normal"));
                syncToTheEnd(pool);
                assertTrue(number(progress(pool, 2), "synced") < 800 - 150);
                rounds(writer, 2);
            }
            legsIdentical(pool);
        }
    }

    @Test
    void killedSyncSourceStopsTheSyncWithAReasonAndItResumesWhenThePeerReturns() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK, true, "--sync-rate-mib", "10")) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x03 0 100M");
            try (PatternWriter writer = new PatternWriter(uri, MAPPED_SIZE * 512, 3)) {
                removeAndReplace(pool);
                ok(pool.daemon(2).ctl("write", "rmr-server/pools/p1/sync", "start"));
                waitSynced(pool, 200);
                rounds(writer, 2);
            }
            pool.daemon(1).kill();
            eventually(Duration.ofSeconds(60), "the sync to stop", () -> ok(pool.daemon(2).ctl("read",
                    "rmr-server/pools/p1/sync")).strip(), state -> state.startsWith("stopped:"));
            String stopped = ok(pool.daemon(2).ctl("read", "rmr-server/pools/p1/sync")).strip();
            assertTrue(stopped.startsWith("stopped: no peer could supply chunk "), stopped);
            CommandResult waited = pool.daemon(2).ctl("sync", "p1", "--wait");
            assertEquals(1, waited.exit(), "--wait ends with exit 1 on a stopped sync: " + waited);
            assertTrue(waited.out().contains("stopped: no peer could supply chunk"), waited.out());

            pool.restart(1, true);
            ok(pool.daemon(1).ctl("write", "brmr-server/ctl/add_store", "device=" + pool.node(1).disk.path()
                    + " pool=p1"));
            eventually(Duration.ofSeconds(30), "node 2's sync session to node 1 back",
                    () -> pool.syncSessionState(2, 1), "normal"::equals);
            sessionState(pool, 1, Set.of("normal"));
            syncToTheEnd(pool);
            assertTrue(number(progress(pool, 2), "synced") < 800 - 150, "resumed, not restarted");
            Qemu.io(uri, "read -P 0x03 " + 799L * CHUNK + " 4k");
            legsIdentical(pool);
        }
    }

    @Test
    void replaceAndReaddRefusalsLeaveTheDisksUntouched() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK, true)) {
            DaemonProcess node2 = pool.daemon(2);
            TestDisk old = pool.node(2).disk;
            ok(node2.ctl("write", "brmr-server/stores/p1/remove_store", "1"));
            TestDisk fresh = pool.emptyDisk("disk2-new");
            String freshDigest = fresh.digest();
            String oldDigest = old.digest();

            refused(node2.ctl("write", "brmr-server/ctl/add_store", "device=" + fresh.path()
                    + " pool=p1 mapped_size=102400 mode=replace"),
                    "mapped_size: peer stg-rmr2@stg-rmr1 has mapped_size 204800, not 102400");
            refused(node2.ctl("write", "brmr-server/ctl/add_store", "device=" + old.path()
                    + " pool=p1 mapped_size=204800 mode=replace"), "mode: " + old.path() + " has brmr metadata (pool "
                    + "'p1', member 2, 204800 sectors, mapped); mode=replace takes an empty disk: re-add it without "
                    + "mode=replace, or delete_store it first");

            TestDisk forged = pool.emptyDisk("other-pool-p1");
            UUID otherPool = UUID.randomUUID();
            try (BlockDevice device = BlockDevice.open(forged.path(), BlockDevice.Access.EXCLUSIVE,
                    BlockDevice.DirectIo.OFF)) {
                new MetadataArea(device).create(StoreMetadata.create("p1", 2, MAPPED_SIZE, CHUNK, 512,
                        UUID.randomUUID(), System.currentTimeMillis()).withMapped(otherPool));
            }
            String forgedDigest = forged.digest();
            String poolUuid = ok(pool.daemon(1).ctl("read", "brmr-server/stores/p1/pool_uuid")).strip();
            refused(node2.ctl("write", "brmr-server/ctl/add_store", "device=" + forged.path() + " pool=p1"),
                    "pool_uuid: " + forged.path() + " belongs to pool p1 with UUID " + otherPool
                            + ", but peer stg-rmr2@stg-rmr1 has UUID " + poolUuid
                            + " (a disk from another pool with the same name?)");

            pool.daemon(1).kill();
            eventually(Duration.ofSeconds(30), "node 2's sync session to node 1 down",
                    () -> pool.syncSessionState(2, 1), state -> !state.equals("normal"));
            refused(node2.ctl("write", "brmr-server/ctl/add_store", "device=" + fresh.path()
                    + " pool=p1 mapped_size=204800 mode=replace"), "mode: replace needs a peer of pool p1 whose store "
                    + "is mapped, but no peer is reachable over the sync sessions");

            assertEquals(freshDigest, fresh.digest());
            assertEquals(oldDigest, old.digest());
            assertEquals(forgedDigest, forged.digest());
            assertEquals("", ok(node2.ctl("ls", "brmr-server/stores")).strip(), "no registration left behind");
            assertEquals("empty", pool.read(2, "state"));
        }
    }
}
