package brmr.admin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.control.ControlException;
import brmr.device.BlockDevice;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.server.RequestException;
import brmr.rmr.server.ServerPool;
import brmr.rmr.sync.SyncPool;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A storage node's control files over a failed store, and its sync pools left and joined again. */
class StorageNodeTest {
    private static final long DISK_BYTES = 16L << 20;
    private static final long DATA_OFFSET = 1L << 20;

    @TempDir
    Path dir;

    private final StorageNode node = new StorageNode(BlockDevice.DirectIo.OFF, pool -> List.of());

    /** Pool p1 joined as member 2 with a mapped store on a new 16 MiB file {@code d.img} in {@code dir}. */
    static Path mappedStore(StorageNode node, Path dir) throws Exception {
        Path disk = dir.resolve("d.img");
        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(DISK_BYTES);
        }
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=2");
        node.tree().write("brmr-server/ctl/create_store", "device=" + disk + " pool=p1 mapped_size=20480");
        node.stores().require("p1").persistMapped(UUID.randomUUID());
        return disk;
    }

    @Test
    void aFailedStoreShowsInItsStateAndStatusUntilItIsRemovedAndAddedAgain() throws Exception {
        Path disk = mappedStore(node, dir);
        ServerPool pool = node.pools().get("p1");
        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(DATA_OFFSET);
        }

        RequestException e = assertThrows(RequestException.class, () -> pool.chunkChecksum(0));
        String reason = "chunk read: pread " + disk + " offset " + DATA_OFFSET + " length 131072: end of device at byte "
                + DATA_OFFSET;
        assertEquals(Status.IO_ERROR, e.status());
        assertEquals("store of pool p1 on member 2 failed: " + reason + "; remove_store and add_store it again",
                e.getMessage());
        assertEquals("open\nmapped\nfailed: " + reason, node.tree().read("brmr-server/stores/p1/state"));
        assertEquals("no_io", node.tree().read("rmr-server/pools/p1/state"));
        assertTrue(node.status().contains("\"failure\":\"" + reason + "\""), node.status());

        node.tree().write("brmr-server/stores/p1/remove_store", "1");
        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(DISK_BYTES);
        }
        node.tree().write("brmr-server/ctl/add_store", "device=" + disk + " pool=p1");
        assertEquals("open\nmapped", node.tree().read("brmr-server/stores/p1/state"));
        assertFalse(node.status().contains("failure"), node.status());
        node.close();
        assertEquals(List.of(), node.stores().pools(), "shutdown closes every store");
    }

    @Test
    void leavingAndJoiningTheSyncPoolAgainRelinksTheServerPool() throws Exception {
        node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
        node.tree().write("rmr-client/ctl/join_pool", "poolname=p1 chunk_size=131072 sync=y");
        ServerPool server = node.pools().get("p1");
        SyncPool first = node.syncPools().get("p1");
        assertTrue(server.linkedTo(first));

        node.tree().write("rmr-client/pools/p1/leave_pool", "1");
        assertFalse(server.linked(), "a server pool does not keep fetching through a sync pool that was left");

        node.tree().write("rmr-client/ctl/join_pool", "poolname=p1 chunk_size=131072 sync=y");
        SyncPool second = node.syncPools().get("p1");
        assertNotSame(first, second);
        assertTrue(server.linkedTo(second));
    }

    @Test
    void addCltTakesTheBarePoolNameAsTheGuideWritesItPoolnameOrOne() throws Exception {
        node.tree().write("rmr-server/ctl/join_pool", "poolname=ionos_pool member_id=42");
        node.tree().write("rmr-server/ctl/join_pool", "poolname=other member_id=42");
        node.tree().write("rmr-client/ctl/join_pool", "poolname=ionos_pool chunk_size=131072 sync=y");
        ServerPool other = node.pools().get("other");
        SyncPool sync = node.syncPools().get("ionos_pool");
        assertFalse(other.linked());
        node.tree().write("rmr-server/pools/other/add_clt", "ionos_pool\n");
        assertTrue(other.linkedTo(sync));
        node.tree().write("rmr-server/pools/other/add_clt", "poolname=ionos_pool");
        node.tree().write("rmr-server/pools/ionos_pool/add_clt", "1");
        assertTrue(node.pools().get("ionos_pool").linkedTo(sync));
        assertEquals("pool: sync pool nosuch is not joined on this node (write rmr-client/ctl/join_pool with sync=y "
                + "first)", assertThrows(ControlException.class,
                        () -> node.tree().write("rmr-server/pools/other/add_clt", "nosuch")).getMessage());
        assertEquals("poolname: 'a/b' must be 1 to 64 letters, digits, '.', '_' or '-'",
                assertThrows(ControlException.class,
                        () -> node.tree().write("rmr-server/pools/other/add_clt", "a/b")).getMessage());
        assertEquals("empty", node.tree().read("rmr-server/pools/ionos_pool/state"), "as upstream prints it");
    }
}
