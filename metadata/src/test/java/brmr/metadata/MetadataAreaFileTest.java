package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.device.BlockDevice;
import brmr.device.DeviceException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.BitSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metadata on a real (sparse) file opened with O_DIRECT. */
class MetadataAreaFileTest {
    @TempDir
    Path dir;

    private Path file(long size) throws IOException {
        Path file = dir.resolve("store.img");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
        }
        return file;
    }

    private static BlockDevice open(Path file) throws Exception {
        return BlockDevice.open(file, BlockDevice.Access.EXCLUSIVE, BlockDevice.DirectIo.ON);
    }

    @Test
    void autoPersistsBitmapsOfARegularFileWithDurableWritesAndAForcedModeStays() throws Exception {
        try (BlockDevice disk = open(file(64 << 20))) {
            assertEquals(BitmapWrites.DSYNC, new MetadataArea(disk, BitmapWrites.AUTO).bitmapWrites());
            assertEquals(BitmapWrites.MAPPED, new MetadataArea(disk, BitmapWrites.MAPPED).bitmapWrites());
            assertEquals(BitmapWrites.DSYNC, new MetadataArea(disk, BitmapWrites.DSYNC).bitmapWrites());
        }
        assertEquals(BitmapWrites.DSYNC, BitmapWrites.AUTO.forDisk(new MemoryDisk(new byte[1 << 20], 512)));
        assertEquals(BitmapWrites.AUTO, BitmapWrites.DEFAULT);
    }

    @Test
    void createUpdateReadEraseSurviveReopening() throws Exception {
        StoreMetadata fresh = StoreMetadata.create("pool1", 2, 204800, 131072, 512, UUID.randomUUID(),
                System.currentTimeMillis());
        Path file = file(fresh.layout().requiredDeviceBytes());
        StoreMetadata created;
        try (BlockDevice disk = open(file)) {
            MetadataArea area = new MetadataArea(disk);
            assertEquals(new MetadataState.Absent(false), area.read());
            created = area.create(fresh);
        }
        assertEquals("BRMRMETA", new String(Files.readAllBytes(file), 0, 8, StandardCharsets.US_ASCII));

        StoreMetadata mapped;
        BitSet dirty = new BitSet();
        dirty.set(3);
        dirty.set(700, 800);
        try (BlockDevice disk = open(file)) {
            MetadataArea area = new MetadataArea(disk);
            assertEquals(new MetadataState.Present(created, 1), area.read());
            mapped = area.update(created.withSlotFor(2).withMapped(UUID.randomUUID()));
            area.writeBitmap(mapped, mapped.slotOf(2), dirty.toLongArray(), 0, 800);
        }
        try (BlockDevice disk = open(file)) {
            MetadataArea area = new MetadataArea(disk);
            assertEquals(new MetadataState.Present(mapped, 2), area.read());
            assertEquals(dirty, BitSet.valueOf(area.readBitmap(mapped, 0)));
            area.erase();
            assertEquals(new MetadataState.Absent(false), area.read());
        }
        byte[] metadata = Arrays.copyOf(Files.readAllBytes(file), (int) fresh.layout().dataOffset());
        assertArrayEquals(new byte[metadata.length], metadata);
    }

    @Test
    void mappedBitmapsOfADirectIoFileNeverMeetPreadAndSurviveReopening() throws Exception {
        StoreMetadata fresh = StoreMetadata.create("pool1", 2, 819200, 4096, 512, UUID.randomUUID(), 0);
        Path file = file(fresh.layout().requiredDeviceBytes());
        BitSet dirty = new BitSet();
        dirty.set(9);
        dirty.set(30_000, 40_000);
        StoreMetadata mapped;
        try (BlockDevice disk = open(file); MetadataArea area = new MetadataArea(disk, BitmapWrites.MAPPED)) {
            mapped = area.update(area.create(fresh).withSlotFor(2).withSlotFor(StoreMetadata.ACTIVE_CHUNKS));
            area.writeBitmap(mapped, mapped.slotOf(2), dirty.toLongArray(), 0, 40_000);
            area.writeBitmap(mapped, mapped.slotOf(StoreMetadata.ACTIVE_CHUNKS), new long[] {6}, 0, 3);
            assertEquals(dirty, BitSet.valueOf(area.readBitmap(mapped, 0)));
            DeviceException e = org.junit.jupiter.api.Assertions.assertThrows(DeviceException.class,
                    () -> new MetadataArea(disk).readBitmap(mapped, 0));
            assertTrue(e.getMessage().contains("overlaps the window mapped at 8192"), e.getMessage());
        }
        try (BlockDevice disk = open(file)) {
            MetadataArea area = new MetadataArea(disk);
            assertEquals(new MetadataState.Present(mapped, 2), area.read());
            assertEquals(dirty, BitSet.valueOf(area.readBitmap(mapped, 0)));
            assertArrayEquals(new long[] {6}, Arrays.copyOf(area.readBitmap(mapped, 1), 1));
        }
    }

    @Test
    void aFileTooSmallForTheStoreIsRefusedAndOneTooSmallForHeadersHasNoMetadata() throws Exception {
        StoreMetadata fresh = StoreMetadata.create("pool1", 2, 204800, 131072, 512, UUID.randomUUID(), 0);
        Path file = file(fresh.layout().requiredDeviceBytes() - 4096);
        try (BlockDevice disk = open(file)) {
            MetadataArea area = new MetadataArea(disk);
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> area.create(fresh));
            assertTrue(e.getMessage().contains("mapped_size"), e.getMessage());
            assertEquals(new MetadataState.Absent(false), area.read());
        }
        Files.delete(file);
        try (BlockDevice disk = open(file(4096))) {
            assertEquals(new MetadataState.Absent(false), new MetadataArea(disk).read());
        }
    }
}
