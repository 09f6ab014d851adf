package brmr.admin.store;

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
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool's writer, persisted through the store, is what a later read of the disk finds. */
class BrmrStoreWriterTest {
    private static final UUID POOL_UUID = UUID.fromString("0b7d2a6c-3f7e-4d0a-9a55-7c1e1b6f0a11");
    private static final UUID CLIENT = UUID.fromString("5e0f9c1a-2b3d-4e5f-8a9b-0c1d2e3f4a5b");

    @TempDir
    Path dir;

    @Test
    void persistWriterReachesTheDiskAndUnmappingClearsIt() throws Exception {
        Path file = dir.resolve("d.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(16L << 20);
        }
        try (BlockDevice device = BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.OFF)) {
            MetadataArea area = new MetadataArea(device);
            StoreMetadata created = area.create(StoreMetadata.create("p1", 1, 20480, 131072, 512, UUID.randomUUID(),
                    System.currentTimeMillis()));
            BrmrStore store = new BrmrStore(device, area, created);
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
}
