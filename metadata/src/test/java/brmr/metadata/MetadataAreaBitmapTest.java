package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetadataAreaBitmapTest {
    /** 98304 chunks: three 4096-byte blocks per slot. */
    private static final long CHUNKS = 3 * 4096 * 8;
    private static final long SLOT_BYTES = 3 * 4096;

    private static StoreMetadata created(MemoryDisk disk, StoreMetadata fresh) throws Exception {
        return new MetadataArea(disk).create(fresh).withSlotFor(1).withSlotFor(2);
    }

    private static StoreMetadata threeBlockStore(int sectorSize) {
        return StoreMetadata.create("bits", 1, CHUNKS * 8, 4096, sectorSize, UUID.randomUUID(), 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aCreatedStoreHasEmptyBitmapsAndWrittenRangesReadBack(int sectorSize) throws Exception {
        StoreMetadata fresh = threeBlockStore(sectorSize);
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        StoreMetadata m = created(disk, fresh);
        MetadataArea area = new MetadataArea(disk);
        assertEquals(SLOT_BYTES, m.layout().bitmapSlotBytes());
        for (int slot = 0; slot < 8; slot++) {
            assertArrayEquals(new long[(int) (CHUNKS / 64)], area.readBitmap(m, slot));
        }

        BitSet dirty = new BitSet();
        dirty.set(5);
        dirty.set(40_000, 40_100);
        dirty.set((int) CHUNKS - 1);
        area.writeBitmap(m, 1, dirty.toLongArray(), 0, CHUNKS);
        assertEquals(dirty, BitSet.valueOf(area.readBitmap(m, 1)));

        dirty.clear(40_000, 40_050);
        area.writeBitmap(m, 1, dirty.toLongArray(), 40_000, 40_050);
        assertEquals(dirty, BitSet.valueOf(area.readBitmap(m, 1)));
        assertArrayEquals(new long[(int) (CHUNKS / 64)], area.readBitmap(m, 0));
        assertArrayEquals(new long[(int) (CHUNKS / 64)], area.readBitmap(m, 2));
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aRangeWritesExactlyTheBlocksThatCoverIt(int sectorSize) throws Exception {
        StoreMetadata fresh = threeBlockStore(sectorSize);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        StoreMetadata m = created(memory, fresh);
        long slot2 = m.layout().slotOffset(2);
        long[] ones = new long[(int) (CHUNKS / 64)];
        Arrays.fill(ones, -1L);

        assertWrites(memory, m, ones, 40_000, 40_010, List.of(slot2 + 4096), 4096);
        assertWrites(memory, m, ones, 32_760, 32_780, List.of(slot2), 8192);
        assertWrites(memory, m, ones, 0, 1, List.of(slot2), 4096);
        assertWrites(memory, m, ones, CHUNKS - 1, CHUNKS, List.of(slot2 + 8192), 4096);
        assertWrites(memory, m, ones, 0, CHUNKS, List.of(slot2), SLOT_BYTES);
        assertWrites(memory, m, ones, 7, 7, List.of(), 0);
    }

    private static void assertWrites(MemoryDisk memory, StoreMetadata m, long[] words, long from, long to,
            List<Long> offsets, long bytes) throws Exception {
        CuttingDisk disk = new CuttingDisk(memory);
        new MetadataArea(disk).writeBitmap(m, 2, words, from, to);
        assertEquals(offsets, disk.writes().stream().map(CuttingDisk.Write::offset).toList(), from + ".." + to);
        assertEquals(bytes, disk.writtenBytes(), from + ".." + to);
        assertEquals(offsets.isEmpty() ? 0 : 1, disk.flushes());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void bitsAtOrBeyondTheChunkCountNeverReachTheDisk(int sectorSize) throws Exception {
        StoreMetadata fresh = StoreMetadata.create("tail", 1, 70 * 8, 4096, sectorSize, UUID.randomUUID(), 0);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        StoreMetadata m = new MetadataArea(memory).create(fresh);
        MetadataArea area = new MetadataArea(memory);
        area.writeBitmap(m, 7, new long[] {-1L, -1L}, 0, 70);

        long slot = m.layout().slotOffset(7);
        byte[] expected = new byte[4096];
        Arrays.fill(expected, 0, 8, (byte) 0xff);
        expected[8] = 0x3f;
        assertArrayEquals(expected, Arrays.copyOfRange(memory.image(), (int) slot, (int) slot + 4096));
        assertArrayEquals(new long[] {-1L, 0x3fL}, area.readBitmap(m, 7));

        Arrays.fill(memory.image(), (int) slot, (int) slot + 4096, (byte) 0xff);
        assertArrayEquals(new long[] {-1L, 0x3fL}, area.readBitmap(m, 7));
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void badSlotsRangesAndWordArraysAreRefused(int sectorSize) throws Exception {
        StoreMetadata fresh = threeBlockStore(sectorSize);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        StoreMetadata m = created(memory, fresh);
        MetadataArea area = new MetadataArea(memory);
        long[] words = new long[(int) (CHUNKS / 64)];
        assertThrows(IllegalArgumentException.class, () -> area.readBitmap(m, 8));
        assertThrows(IllegalArgumentException.class, () -> area.writeBitmap(m, -1, words, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> area.writeBitmap(m, 0, words, 0, CHUNKS + 1));
        assertThrows(IllegalArgumentException.class, () -> area.writeBitmap(m, 0, words, 5, 4));
        assertThrows(IllegalArgumentException.class, () -> area.writeBitmap(m, 0, words, -1, 4));
        assertThrows(IllegalArgumentException.class,
                () -> area.writeBitmap(m, 0, new long[words.length + 1], 0, 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void slotsLargerThanOneIoRoundTrip(int sectorSize) throws Exception {
        // 2^24 chunks of 4096 bytes (64 GiB): 2 MiB per slot, moved in 1 MiB pieces.
        StoreMetadata fresh = StoreMetadata.create("big", 1, (1L << 24) * 8, 4096, sectorSize, UUID.randomUUID(), 0);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        CuttingDisk recorder = new CuttingDisk(memory);
        StoreMetadata m = new MetadataArea(recorder).create(fresh);
        assertEquals(17, recorder.writes().size(), "16 MiB of bitmaps zeroed in 1 MiB writes, then the header");

        long[] words = new Random(5).longs(1 << 18).toArray();
        CuttingDisk disk = new CuttingDisk(memory);
        MetadataArea area = new MetadataArea(disk);
        area.writeBitmap(m, 6, words, 0, 1L << 24);
        assertEquals(2, disk.writes().size());
        assertArrayEquals(words, area.readBitmap(m, 6));

        long[] cleared = words.clone();
        int middle = (1 << 17);
        Arrays.fill(cleared, middle - 10, middle + 10, 0);
        area.writeBitmap(m, 6, cleared, (middle - 10) * 64L, (middle + 10) * 64L);
        assertEquals(3, disk.writes().size());
        assertEquals(m.layout().slotOffset(6) + (1 << 20) - 4096, disk.writes().get(2).offset());
        assertArrayEquals(cleared, area.readBitmap(m, 6));
        assertArrayEquals(new long[words.length], area.readBitmap(m, 5));
    }
}
