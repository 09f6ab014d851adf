package brmr.admin.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.device.BlockDevice;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pool persists through the store (writer, in-service record, active chunks) is what a later
 * read of the disk finds.
 */
class BrmrStoreWriterTest {
    private static final UUID POOL_UUID = UUID.fromString("0b7d2a6c-3f7e-4d0a-9a55-7c1e1b6f0a11");
    private static final UUID CLIENT = UUID.fromString("5e0f9c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b");

    @TempDir
    Path dir;

    @Test
    void persistWriterReachesTheDiskAndUnmappingClearsIt() throws Exception {
        try (BlockDevice device = device()) {
            MetadataArea area = new MetadataArea(device);
            BrmrStore store = created(device, area);
            store.persistMapped(POOL_UUID);
            store.persistWriter(3, CLIENT);
            StoreMetadata onDisk = assertInstanceOf(MetadataState.Present.class, area.read()).newest();
            assertEquals(store.metadata(), onDisk);
            assertEquals(3, onDisk.writerEpoch());
            assertEquals(CLIENT, onDisk.writerClient());
            assertTrue(onDisk.mapped());

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.persistWriter(4, null));
            assertTrue(e.getMessage().contains("writer_client"), e.getMessage());
            assertEquals(onDisk, assertInstanceOf(MetadataState.Present.class, area.read()).newest());

            store.persistUnmapped();
            StoreMetadata unmapped = assertInstanceOf(MetadataState.Present.class, area.read()).newest();
            assertEquals(0, unmapped.writerEpoch());
            assertNull(unmapped.writerClient());
        }
    }

    @Test
    void serviceAndActiveChunksReachTheDiskAndTheActiveSlotIsNoMember() throws Exception {
        try (BlockDevice device = device()) {
            MetadataArea area = new MetadataArea(device);
            BrmrStore store = created(device, area);
            store.persistService(5, List.of(1, 2));
            store.persistDirty(2, new long[] {0b100}, 2, 3);
            store.persistActive(new long[] {0b1001}, 0, 4);
            assertEquals(5, store.mapVersion());
            assertEquals(List.of(1, 2), store.inService());
            assertArrayEquals(new int[] {2}, store.persistedMembers(), "the active-chunks slot is no member");

            StoreMetadata onDisk = assertInstanceOf(MetadataState.Present.class, area.read()).newest();
            assertEquals(store.metadata(), onDisk);
            assertEquals(5, onDisk.mapVersion());
            assertEquals(List.of(1, 2), onDisk.inService());
            BrmrStore reopened = new BrmrStore(device, area, onDisk);
            assertArrayEquals(new long[] {0b1001, 0}, reopened.loadActive());
            assertArrayEquals(new long[] {0b100, 0}, reopened.loadDirty(2));

            reopened.persistActive(new long[2], 0, 4);
            assertArrayEquals(new long[2], reopened.loadActive());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> store.persistService(6, List.of(1, 1)));
            assertTrue(e.getMessage().contains("in_service"), e.getMessage());
        }
    }

    /** A 16 MiB store file, opened. */
    private BlockDevice device() throws Exception {
        Path file = dir.resolve("d.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(16L << 20);
        }
        return BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF);
    }

    /** A fresh store of pool p1, member 1, 80 chunks. */
    private static BrmrStore created(BlockDevice device, MetadataArea area) throws Exception {
        return new BrmrStore(device, area, area.create(StoreMetadata.create("p1", 1, 20480, 131072, 512,
                UUID.randomUUID(), System.currentTimeMillis())));
    }
}
