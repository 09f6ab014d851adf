package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.control.ControlException;
import brmr.admin.server.StorageNode;
import brmr.rmr.sync.PeerAnswer;
import brmr.device.BlockDevice;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import brmr.rmr.adapter.StoreParams;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Store operations in process, with the peers' answers given by the test: MAPPED restored on
 * re-add, the pool UUID checked, and the replace path's verification, registration and discard.
 */
class StoreOperationsTest {
    private static final UUID POOL_UUID = UUID.fromString("0b7d2a6c-3f7e-4d0a-9a55-7c1e1b6f0a11");

    @TempDir
    Path dir;

    private final List<PeerAnswer> peers = new ArrayList<>();
    private final StorageNode node = new StorageNode(BlockDevice.DirectIo.AUTO, pool -> List.copyOf(peers));

    private static StoreParams peer(boolean mapped, long mappedSize, UUID uuid) {
        return new StoreParams("p1", 2, mappedSize, 131072, 512, mapped, uuid);
    }

    @Test
    void reAddOfAMappedStoreRestoresMappedAndTheUuid() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "d", 16L << 20)) {
            node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
            node.tree().write("brmr-server/ctl/create_store", "device=" + disk.path() + " pool=p1 mapped_size=20480");
            node.stores().require("p1").persistMapped(POOL_UUID);
            assertEquals("open\nmapped", node.tree().read("brmr-server/stores/p1/state"));
            node.tree().write("brmr-server/stores/p1/remove_store", "1");
            peers.add(new PeerAnswer("s2", peer(true, 20480, POOL_UUID)));
            node.tree().write("brmr-server/ctl/add_store", "device=" + disk.path() + " pool=p1 mapped_size=20480");
            assertEquals("open\nmapped", node.tree().read("brmr-server/stores/p1/state"));
            assertEquals(POOL_UUID.toString(), node.tree().read("brmr-server/stores/p1/pool_uuid"));
            node.tree().write("brmr-server/stores/p1/remove_store", "1");
        }
    }

    @Test
    void reAddIsRefusedWhenAPeerHasAnotherPoolUuid() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "d", 16L << 20)) {
            node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
            node.tree().write("brmr-server/ctl/create_store", "device=" + disk.path() + " pool=p1 mapped_size=20480");
            node.stores().require("p1").persistMapped(POOL_UUID);
            node.tree().write("brmr-server/stores/p1/remove_store", "1");
            UUID other = UUID.fromString("5f1e0000-0000-4000-8000-000000000001");
            peers.add(new PeerAnswer("s2", peer(true, 20480, other)));
            String before = disk.digest();
            ControlException e = assertThrows(ControlException.class, () -> node.tree().write(
                    "brmr-server/ctl/add_store", "device=" + disk.path() + " pool=p1"));
            assertEquals("pool_uuid: " + disk.path() + " belongs to pool p1 with UUID " + POOL_UUID + ", but peer s2 has "
                    + "UUID " + other + " (a disk from another pool with the same name?)", e.getMessage());
            assertEquals(before, disk.digest());
            assertEquals("empty", node.tree().read("rmr-server/pools/p1/state"));
        }
    }

    @Test
    void replaceVerifiesAgainstAMappedPeerAndMarksEveryChunkDirty() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "d", 16L << 20)) {
            node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
            peers.add(new PeerAnswer("s2", peer(false, 20480, null)));
            peers.add(new PeerAnswer("s3", peer(true, 20480, POOL_UUID)));
            node.tree().write("brmr-server/ctl/add_store",
                    "device=" + disk.path() + " pool=p1 mapped_size=20480 mode=replace");
            assertEquals("open\nmapped", node.tree().read("brmr-server/stores/p1/state"));
            assertEquals("registered", node.tree().read("rmr-server/pools/p1/state"));
            assertEquals("member 1: [" + chunks(0, 79) + "] 80/80 dirty\n",
                    node.tree().read("rmr-server/pools/p1/map_summary"));
            node.tree().write("brmr-server/stores/p1/remove_store", "1");
            try (BlockDevice device = BlockDevice.open(disk.path(), BlockDevice.Access.READ_ONLY,
                    BlockDevice.DirectIo.OFF)) {
                MetadataArea area = new MetadataArea(device);
                StoreMetadata m = ((MetadataState.Present) area.read()).newest();
                assertTrue(m.mapped());
                assertEquals(POOL_UUID, m.poolUuid());
                long dirty = 0;
                for (long word : area.readBitmap(m, m.slotOf(1))) {
                    dirty += Long.bitCount(word);
                }
                assertEquals(80, dirty, "every chunk is persisted as missing before MAPPED is set");
            }
            node.tree().write("brmr-server/ctl/add_store", "device=" + disk.path() + " pool=p1");
            assertEquals("member 1: [" + chunks(0, 79) + "] 80/80 dirty\n",
                    node.tree().read("rmr-server/pools/p1/map_summary"),
                    "a re-add after an interrupted resync still lacks every chunk");
            node.tree().write("brmr-server/stores/p1/delete_store", "1");
        }
    }

    @Test
    void replaceRefusalsLeaveTheNewDiskUntouched() throws Exception {
        try (TestDisk disk = TestDisk.create(dir, "d", 16L << 20)) {
            node.tree().write("rmr-server/ctl/join_pool", "poolname=p1 member_id=1");
            String replace = "device=" + disk.path() + " pool=p1 mapped_size=20480 mode=replace";
            String before = disk.digest();
            assertEquals("mode: replace needs a peer of pool p1 whose store is mapped, but no peer is reachable over "
                    + "the sync sessions", refused(replace));
            peers.add(new PeerAnswer("s2", peer(false, 20480, null)));
            assertEquals("mode: replace needs a peer of pool p1 whose store is mapped; 1 peer(s) reachable, none mapped",
                    refused(replace));
            peers.add(new PeerAnswer("s3", peer(true, 40960, POOL_UUID)));
            assertEquals("mapped_size: peer s3 has mapped_size 40960, not 20480", refused(replace));
            peers.set(1, new PeerAnswer("s3", new StoreParams("p1", 3, 20480, 65536, 512, true, POOL_UUID)));
            assertEquals("chunk_size: peer s3 has chunk_size 65536, not 131072", refused(replace));
            peers.set(1, new PeerAnswer("s3", peer(true, 20480, POOL_UUID)));
            peers.add(new PeerAnswer("s4", peer(true, 20480, UUID.randomUUID())));
            assertTrue(refused(replace).startsWith("pool_uuid: peers disagree on the UUID of pool p1"));
            assertEquals(before, disk.digest());
            assertEquals("empty", node.tree().read("rmr-server/pools/p1/state"));
            assertEquals(List.of(), node.tree().list("brmr-server/stores"));
        }
    }

    private String refused(String value) {
        return assertThrows(ControlException.class, () -> node.tree().write("brmr-server/ctl/add_store", value))
                .getMessage();
    }

    /** Chunk numbers as map_summary lists them: "0 1 2 ... 79". */
    private static String chunks(long first, long last) {
        return java.util.stream.LongStream.rangeClosed(first, last).mapToObj(Long::toString)
                .collect(java.util.stream.Collectors.joining(" "));
    }
}
