package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bitmaps kept in a mapped window: what they read back, that the window replaces IO, and torn syncs. */
class MetadataAreaMappedTest {
    /** Three 4096-byte blocks per slot. */
    private static final long CHUNKS = 3 * 4096 * 8;

    private static StoreMetadata store() {
        return StoreMetadata.create("mapped", 1, CHUNKS * 8, 4096, 512, UUID.randomUUID(), 0);
    }

    @Test
    void bitmapsGoThroughTheWindowOnlyAndReadBackOnceItIsClosed() throws Exception {
        StoreMetadata fresh = store();
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        BitSet dirty = new BitSet();
        dirty.set(1);
        dirty.set(40_000, 50_000);
        StoreMetadata m;
        try (MetadataArea area = new MetadataArea(disk, BitmapWrites.MAPPED)) {
            m = area.create(fresh).withSlotFor(4);
            assertEquals(1, disk.syncs(), "the zeroed bitmaps are synced once");
            assertArrayEquals(new long[(int) (CHUNKS / 64)], area.readBitmap(m, 0));
            area.writeBitmap(m, 0, dirty.toLongArray(), 0, CHUNKS);
            area.writeBitmap(m, 0, dirty.toLongArray(), 1, 2);
            assertEquals(3, disk.syncs());
            assertEquals(dirty, BitSet.valueOf(area.readBitmap(m, 0)));
            assertThrows(IllegalStateException.class, () -> new MetadataArea(disk).readBitmap(m, 0),
                    "the memory disk refuses IO overlapping the window, as a BlockDevice does");
        }
        assertEquals(dirty, BitSet.valueOf(new MetadataArea(disk).readBitmap(m, 0)));
    }

    @Test
    void aDiskThatCannotMapKeepsDurableWrites() throws Exception {
        StoreMetadata fresh = store();
        MemoryDisk memory = MetadataAreaTest.garbageDisk(fresh);
        CuttingDisk unmappable = new CuttingDisk(memory).withoutWindows();
        try (MetadataArea area = new MetadataArea(unmappable, BitmapWrites.MAPPED)) {
            StoreMetadata m = area.create(fresh);
            area.writeBitmap(m, 0, new long[] {1}, 0, 1);
            assertArrayEquals(new long[] {1}, new long[] {area.readBitmap(m, 0)[0]});
        }
        assertEquals(0, memory.syncs());
        assertEquals(3, unmappable.flushes());
    }

    /**
     * One update sets bits in all three blocks of a slot, the next clears some: a crash at any byte of the
     * pages written back leaves every bit old or new, and after the sync returns every bit is new.
     */
    @ParameterizedTest
    @EnumSource(BitmapWrites.class)
    void aCrashDuringAnUpdateLeavesEveryBitOldOrNew(BitmapWrites bitmapWrites) throws Exception {
        StoreMetadata fresh = store();
        MemoryDisk disk = MemoryDisk.forStore(fresh);
        StoreMetadata m = new MetadataArea(disk).create(fresh);
        Random random = new Random(17);
        BitSet old = new BitSet();
        for (int i = 0; i < 2000; i++) {
            old.set(random.nextInt((int) CHUNKS));
        }
        new MetadataArea(disk).writeBitmap(m, 2, old.toLongArray(), 0, CHUNKS);

        BitSet set = (BitSet) old.clone();
        for (int i = 0; i < 2000; i++) {
            set.set(random.nextInt((int) CHUNKS));
        }
        disk = assertTornUpdatesKeepEachBit(disk, m, bitmapWrites, old, set);
        BitSet cleared = (BitSet) set.clone();
        cleared.clear(100, 90_000);
        assertTornUpdatesKeepEachBit(disk, m, bitmapWrites, set, cleared);
    }

    /** Writes {@code next} over {@code current} (one only sets, or only clears bits) and checks every cut; returns the disk after it. */
    private static MemoryDisk assertTornUpdatesKeepEachBit(MemoryDisk disk, StoreMetadata m, BitmapWrites bitmapWrites,
            BitSet current, BitSet next) throws Exception {
        CuttingDisk cut = new CuttingDisk(disk.withImage(disk.image().clone()));
        try (MetadataArea area = new MetadataArea(cut, bitmapWrites)) {
            area.writeBitmap(m, 2, next.toLongArray(), 0, CHUNKS);
        }
        assertEquals(3 * 4096, cut.writtenBytes());
        assertEquals(1, cut.flushes());
        BitSet lower = (BitSet) current.clone();
        lower.and(next);
        BitSet upper = (BitSet) current.clone();
        upper.or(next);
        for (long at : MetadataAreaCrashTest.cutPoints(cut)) {
            BitSet bits = BitSet.valueOf(new MetadataArea(cut.diskWith(cut.imageCutAt(at))).readBitmap(m, 2));
            BitSet below = (BitSet) lower.clone();
            below.andNot(bits);
            BitSet above = (BitSet) bits.clone();
            above.andNot(upper);
            assertTrue(below.isEmpty() && above.isEmpty(), "cut at byte " + at + " left bits neither old nor new");
        }
        MemoryDisk after = cut.diskWith(cut.imageDroppingAfterFlush(0));
        assertEquals(next, BitSet.valueOf(new MetadataArea(after).readBitmap(m, 2)), "durable once the call returns");
        return after;
    }
}
