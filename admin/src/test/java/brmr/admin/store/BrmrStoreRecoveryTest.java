package brmr.admin.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

/** The in-service record and the active chunks, persisted through the store, are what a later read of the disk finds. */
class BrmrStoreRecoveryTest {
    @TempDir
    Path dir;

    @Test
    void serviceAndActiveChunksReachTheDiskAndTheActiveSlotIsNoMember() throws Exception {
        Path file = dir.resolve("d.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(16L << 20);
        }
        try (BlockDevice device = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            MetadataArea area = new MetadataArea(device);
            StoreMetadata created = area.create(StoreMetadata.create("p1", 1, 20480, 131072, 512, UUID.randomUUID(),
                    System.currentTimeMillis()));
            BrmrStore store = new BrmrStore(device, area, created);
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
}
