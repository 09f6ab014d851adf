package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-node store lifecycle run the way an operator runs it: a brmr-server process from the
 * image, brmrctl with the runbook's /sys paths, on a loop device when root.
 */
class SingleNodeLifecycleIT {
    private static final long DISK_BYTES = 128L << 20;

    @TempDir
    Path dir;

    @Test
    void createRemoveReaddDeleteCreate() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "disk0", DISK_BYTES);
                DaemonProcess node = DaemonProcess.storage(dir.resolve("node1"))) {
            String dev = disk.path().toString();
            ok(node.ctl("write", "/sys/devices/virtual/rmr-server/ctl/join_pool", "poolname=p1 member_id=1"));
            assertEquals("empty", ok(node.ctl("read", "/sys/class/rmr-server/pools/p1/state")).strip());

            ok(node.ctl("write", "/sys/devices/virtual/brmr-server/ctl/create_store",
                    "device=" + dev + " pool=p1 mapped_size=204800"));
            assertEquals("open", ok(node.ctl("read", "/sys/class/brmr-server/stores/p1/state")).strip());
            assertEquals("registered", ok(node.ctl("read", "rmr-server/pools/p1/state")).strip());
            assertEquals("204800", ok(node.ctl("read", "brmr-server/stores/p1/mapped_size")).strip());
            assertEquals(dev, ok(node.ctl("read", "brmr-server/stores/p1/bdev_name")).strip());
            assertEquals(String.valueOf(DISK_BYTES / 512), ok(node.ctl("read", "brmr-server/stores/p1/dev_size")).strip());
            assertEquals("member 1: [] 0/800 dirty", ok(node.ctl("read", "rmr-server/pools/p1/map_summary")).strip());
            String examined = ok(node.ctl("examine", dev));
            assertTrue(examined.contains("pool:        p1"), examined);
            assertTrue(examined.contains("flags:       none (never mapped)"), examined);

            ok(node.ctl("write", "/sys/class/brmr-server/stores/p1/remove_store", "1"));
            CommandResult gone = node.ctl("read", "brmr-server/stores/p1/state");
            assertEquals(1, gone.exit(), gone::toString);
            assertEquals("pool: no store for pool p1 on this node\n", gone.err());
            assertEquals("empty", ok(node.ctl("read", "rmr-server/pools/p1/state")).strip());
            assertTrue(ok(node.ctl("examine", dev)).contains("pool:        p1"), "remove_store keeps the metadata");

            ok(node.ctl("write", "/sys/devices/virtual/brmr-server/ctl/add_store", "device=" + dev + " pool=p1"));
            assertEquals("open", ok(node.ctl("read", "brmr-server/stores/p1/state")).strip());

            ok(node.ctl("write", "/sys/class/brmr-server/stores/p1/delete_store", "1"));
            CommandResult empty = node.ctl("examine", dev);
            assertEquals(1, empty.exit(), empty::toString);
            assertEquals(dev + ": no brmr metadata\n", empty.out());

            ok(node.ctl("write", "brmr-server/ctl/create_store", "device=" + dev + " pool=p1 mapped_size=204800"));
            assertEquals("open", ok(node.ctl("read", "brmr-server/stores/p1/state")).strip());
            String status = ok(node.ctl("status"));
            assertTrue(status.lines().anyMatch(l -> l.startsWith("p1") && l.contains(dev) && l.contains("registered")),
                    status);
        }
    }

    @Test
    void refusalsThatNeedNoPeerNameTheFieldAndChangeNothing() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "disk0", DISK_BYTES);
                TestDisk empty = TestDisk.create(dir, "disk1", DISK_BYTES);
                TestDisk small = TestDisk.create(dir, "small", 64L << 20);
                DaemonProcess node = DaemonProcess.storage(dir.resolve("node1"))) {
            String dev = disk.path().toString();
            refused(node, "pool: p1 is not joined on this node (write rmr-server/ctl/join_pool first)",
                    "brmr-server/ctl/create_store", "device=" + dev + " pool=p1 mapped_size=204800");
            ok(node.ctl("write", "rmr-server/ctl/join_pool", "poolname=p1 member_id=1"));
            ok(node.ctl("write", "rmr-server/ctl/join_pool", "poolname=p2 member_id=1"));
            refused(node, "mapped_size: 204800 sectors plus 1048576 bytes of metadata need 105906176 bytes, but "
                    + small.path() + " has 67108864", "brmr-server/ctl/create_store",
                    "device=" + small.path() + " pool=p1 mapped_size=204800");
            ok(node.ctl("write", "brmr-server/ctl/create_store", "device=" + dev + " pool=p1 mapped_size=204800"));
            String digest = disk.digest();
            refused(node, "pool: p1 already has a store (" + dev + ")", "brmr-server/ctl/create_store",
                    "device=" + empty.path() + " pool=p1 mapped_size=204800");
            refused(node, "device: " + dev + " is already the store of pool p1", "brmr-server/ctl/create_store",
                    "device=" + dev + " pool=p2 mapped_size=204800");
            ok(node.ctl("write", "brmr-server/stores/p1/remove_store", "1"));
            refused(node, "device: " + dev + " already has brmr metadata (pool 'p1', member 1, 204800 sectors, never "
                    + "mapped); use add_store to re-add it", "brmr-server/ctl/create_store",
                    "device=" + dev + " pool=p1 mapped_size=204800");
            refused(node, "pool: " + dev + " belongs to pool 'p1', not 'p2'", "brmr-server/ctl/add_store",
                    "device=" + dev + " pool=p2");
            refused(node, "mapped_size: 102400 differs from 204800 in the metadata of " + dev,
                    "brmr-server/ctl/add_store", "device=" + dev + " pool=p1 mapped_size=102400");
            refused(node, "mode: " + dev + " has brmr metadata (pool 'p1', member 1, 204800 sectors, never mapped); "
                    + "mode=replace takes an empty disk: re-add it without mode=replace, or delete_store it first",
                    "brmr-server/ctl/add_store", "device=" + dev + " pool=p1 mapped_size=204800 mode=replace");
            refused(node, "device: " + empty.path() + " has no brmr metadata; to add an empty disk in place of a "
                    + "failed one use mode=replace", "brmr-server/ctl/add_store", "device=" + empty.path() + " pool=p1");
            String emptyDigest = empty.digest();
            refused(node, "mode: replace needs a peer of pool p1 whose store is mapped, but no peer is reachable over "
                    + "the sync sessions", "brmr-server/ctl/add_store",
                    "device=" + empty.path() + " pool=p1 mapped_size=204800 mode=replace");
            assertEquals(digest, disk.digest(), "refusals must not touch the disk with metadata");
            assertEquals(emptyDigest, empty.digest(), "refusals must not touch the empty disk");
            assertEquals("empty", ok(node.ctl("read", "rmr-server/pools/p1/state")).strip());
            assertEquals("empty", ok(node.ctl("read", "rmr-server/pools/p2/state")).strip());
            assertEquals("", ok(node.ctl("ls", "brmr-server/stores")).strip(), "no registration left behind");
        }
    }

    @Test
    void killedDaemonsStoreIsReaddedAfterRestart() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "disk0", DISK_BYTES)) {
            String dev = disk.path().toString();
            DaemonProcess first = DaemonProcess.storage(dir.resolve("node1"));
            try {
                ok(first.ctl("write", "rmr-server/ctl/join_pool", "poolname=p1 member_id=3"));
                ok(first.ctl("write", "brmr-server/ctl/create_store", "device=" + dev + " pool=p1 mapped_size=204800"));
            } finally {
                first.kill();
            }
            // the runbook's re-add by hand; RestartIT covers the journal's
            try (DaemonProcess second = DaemonProcess.storage(dir.resolve("node1"), 0, "--restore", "no")) {
                ok(second.ctl("write", "rmr-server/ctl/join_pool", "poolname=p1 member_id=3"));
                ok(second.ctl("write", "brmr-server/ctl/add_store", "device=" + dev + " pool=p1 mapped_size=204800"));
                assertEquals("open", ok(second.ctl("read", "brmr-server/stores/p1/state")).strip());
                assertEquals("member 3: [] 0/800 dirty", ok(second.ctl("read", "rmr-server/pools/p1/map_summary")).strip());
            }
        }
    }

    @Test
    void consoleTakesTheRunbookLinesUnchanged() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "disk0", DISK_BYTES);
                DaemonProcess node = DaemonProcess.storage(dir.resolve("node1"))) {
            String dev = disk.path().toString();
            CommandResult session = node.console(String.join("\n",
                    "echo 'poolname=p1 member_id=1' > /sys/devices/virtual/rmr-server/ctl/join_pool",
                    "echo \"device=" + dev + " pool=p1 mapped_size=204800\" > /sys/devices/virtual/brmr-server/ctl/create_store",
                    "cat /sys/class/brmr-server/stores/p1/state",
                    "echo 1 > /sys/class/brmr-server/stores//remove_store",
                    "echo 1 > /sys/class/brmr-server/stores/p1/remove_store",
                    "ls brmr-server/stores",
                    ""));
            assertEquals("open\n", session.out(), session::toString);
            assertEquals("path: '/sys/class/brmr-server/stores//remove_store' has an empty part (is a pool name "
                    + "missing?)\n", session.err());
            assertEquals(1, session.exit(), "a failed line makes the console's exit code non-zero");
        }
    }

    private static String ok(CommandResult result) {
        assertEquals(0, result.exit(), result::toString);
        assertEquals("", result.err(), result::toString);
        return result.out();
    }

    private static void refused(DaemonProcess node, String error, String path, String value) {
        CommandResult result = node.ctl("write", path, value);
        assertEquals(1, result.exit(), result::toString);
        assertEquals(error + "\n", result.err(), result::toString);
        assertEquals("", result.out());
    }
}
