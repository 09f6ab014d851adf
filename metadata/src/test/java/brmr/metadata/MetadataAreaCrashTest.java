package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Crashes every operation at every 512-byte boundary of what it writes, inside sectors, and after
 * each flush, and checks that the disk then reads as exactly the old or exactly the new state.
 */
class MetadataAreaCrashTest {
    private static final int TORN_SECTOR = 512;

    private interface Operation {
        void run(MetadataArea area) throws Exception;
    }

    private interface CrashCheck {
        void check(MemoryDisk crashed, MetadataState state) throws Exception;
    }

    @ParameterizedTest
    @CsvSource({"512, DSYNC", "4096, DSYNC", "512, MAPPED", "4096, MAPPED"})
    void createIsAllOrNothingAndNeverShowsStaleBitmaps(int sectorSize, BitmapWrites bitmapWrites) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk start = MetadataAreaTest.garbageDisk(fresh);
        byte[] remnant = MetadataCodec.encode(fresh.withGeneration(9, 0));
        remnant[3000] ^= 4;
        System.arraycopy(remnant, 0, start.image(), 4096, 4096);

        CuttingDisk cut = assertEveryCutLeavesOldOrNew(start, bitmapWrites, area -> area.create(fresh),
                (crashed, state) -> {
            if (state instanceof MetadataState.Present present) {
                MetadataArea area = new MetadataArea(crashed);
                for (int slot = 0; slot < MetadataLayout.BITMAP_SLOTS; slot++) {
                    long[] words = area.readBitmap(present.newest(), slot);
                    assertArrayEquals(new long[words.length], words, "stale bits in slot " + slot);
                }
            }
        });
        assertEquals(2, cut.flushes());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void successiveUpdatesAreEachAllOrNothingInBothCopies(int sectorSize) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        StoreMetadata current = new MetadataArea(disk).create(fresh);
        List<Long> targets = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            StoreMetadata next = i == 2 ? current.withMapped(UUID.randomUUID()) : current.withSlotFor(20 + i);
            CuttingDisk cut = assertEveryCutLeavesOldOrNew(disk, area -> area.update(next), (crashed, state) -> { });
            targets.add(cut.writes().get(0).offset());
            disk = cut.diskWith(cut.imageCutAt(cut.writtenBytes()));
            current = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
        }
        assertEquals(List.of(4096L, 0L, 4096L, 0L, 4096L), targets);
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void writerChangesAreEachAllOrNothing(int sectorSize) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        StoreMetadata current = new MetadataArea(disk).create(fresh).withMapped(UUID.randomUUID());
        UUID first = UUID.randomUUID();
        UUID second = UUID.randomUUID();
        List<StoreMetadata> steps = List.of(current.withWriter(1, first), current.withWriter(2, second),
                current.withWriter(Long.MAX_VALUE, second), current.withWriter(Long.MAX_VALUE, first),
                current.withUnmapped());
        for (StoreMetadata next : steps) {
            disk = updatedThroughEveryCut(disk, next);
            StoreMetadata read = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
            assertEquals(next.writerEpoch(), read.writerEpoch());
            assertEquals(next.writerClient(), read.writerClient());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void serviceChangesAndTheActiveChunksSlotAreEachAllOrNothing(int sectorSize) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        StoreMetadata current = new MetadataArea(disk).create(fresh).withMapped(UUID.randomUUID());
        List<StoreMetadata> steps = List.of(current.withService(1, List.of(1, 2)),
                current.withService(2, List.of(1)).withSlotFor(StoreMetadata.ACTIVE_CHUNKS),
                current.withService(Long.MAX_VALUE, List.of(7, 6, 5, 4, 3, 2, 1, 0)),
                current.withService(Long.MAX_VALUE, List.of()));
        for (StoreMetadata next : steps) {
            disk = updatedThroughEveryCut(disk, next);
            StoreMetadata read = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
            assertEquals(next.mapVersion(), read.mapVersion());
            assertEquals(next.inService(), read.inService());
            assertArrayEquals(next.slotMembers(), read.slotMembers());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aVersion1StoreTakesItsFirstServiceRecordAllOrNothing(int sectorSize) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        StoreMetadata mapped = new MetadataArea(disk).update(new MetadataArea(disk).create(fresh)
                .withMapped(UUID.randomUUID()));
        System.arraycopy(MetadataCodecTest.version1Header(mapped), 0, disk.image(),
                (int) MetadataLayout.headerOffset(1), MetadataCodec.HEADER_BYTES);
        StoreMetadata old = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
        assertEquals(1, old.formatVersion());

        disk = updatedThroughEveryCut(disk, old.withService(1, List.of(2, 1)));
        StoreMetadata read = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
        assertEquals(MetadataCodec.FORMAT_VERSION, read.formatVersion());
        assertEquals(1, read.mapVersion());
        assertEquals(List.of(2, 1), read.inService());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aVersion1StoreTakesItsFirstWriterAllOrNothing(int sectorSize) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
        StoreMetadata created = new MetadataArea(disk).create(fresh).withMapped(UUID.randomUUID());
        StoreMetadata mapped = new MetadataArea(disk).update(created);
        System.arraycopy(MetadataCodecTest.version1Header(mapped), 0, disk.image(),
                (int) MetadataLayout.headerOffset(1), MetadataCodec.HEADER_BYTES);
        StoreMetadata old = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
        assertEquals(1, old.formatVersion());

        UUID writer = UUID.randomUUID();
        disk = updatedThroughEveryCut(disk, old.withWriter(1, writer));
        StoreMetadata read = ((MetadataState.Present) new MetadataArea(disk).read()).newest();
        assertEquals(MetadataCodec.FORMAT_VERSION, read.formatVersion());
        assertEquals(1, read.writerEpoch());
        assertEquals(writer, read.writerClient());
    }

    /** Checks every cut of {@code area.update(next)} on {@code disk}; returns the disk after the whole update. */
    private static MemoryDisk updatedThroughEveryCut(MemoryDisk disk, StoreMetadata next) throws Exception {
        CuttingDisk cut = assertEveryCutLeavesOldOrNew(disk, area -> area.update(next), (crashed, state) -> { });
        return cut.diskWith(cut.imageCutAt(cut.writtenBytes()));
    }

    @ParameterizedTest
    @CsvSource({"512, DSYNC", "4096, DSYNC", "512, MAPPED", "4096, MAPPED"})
    void eraseLeavesTheOldMetadataOrNoneWhicheverCopyIsNewest(int sectorSize, BitmapWrites bitmapWrites)
            throws Exception {
        List<Long> firstZeroed = new ArrayList<>();
        for (int updates = 0; updates < 3; updates++) {
            StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
            MemoryDisk disk = MetadataAreaTest.garbageDisk(fresh);
            MetadataArea area = new MetadataArea(disk);
            StoreMetadata m = area.create(fresh);
            for (int i = 0; i < updates; i++) {
                m = area.update(m.withSlotFor(i));
            }
            long[] ones = new long[BitmapCodec.wordCount(m.layout().chunkCount())];
            Arrays.fill(ones, -1L);
            area.writeBitmap(m, 3, ones, 0, m.layout().chunkCount());

            CuttingDisk cut = assertEveryCutLeavesOldOrNew(disk, bitmapWrites, MetadataArea::erase,
                    (crashed, state) -> { });
            assertEquals(bitmapWrites == BitmapWrites.MAPPED ? 0 : 1, cut.writes().stream()
                    .filter(write -> write.data().length > 4096).count(), "bitmaps zeroed in pages when mapped");
            firstZeroed.add(cut.writes().get(0).offset());
            assertEquals(3, cut.flushes());
        }
        assertEquals(List.of(4096L, 0L, 4096L), firstZeroed, "the copy without the newest header goes first");
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void afterATornUpdateTheNextUpdateSucceedsAndWins(int sectorSize) throws Exception {
        StoreMetadata fresh = MetadataAreaTest.store(sectorSize);
        MemoryDisk disk = MemoryDisk.forStore(fresh);
        StoreMetadata first = new MetadataArea(disk).update(new MetadataArea(disk).create(fresh).withSlotFor(1));
        CuttingDisk cut = new CuttingDisk(disk);
        new MetadataArea(cut).update(first.withSlotFor(2));

        for (long at : new long[] {1, 512, 2048, 2049, 4092, 4095}) {
            MemoryDisk crashed = cut.diskWith(cut.imageCutAt(at));
            MetadataArea area = new MetadataArea(crashed);
            assertEquals(first, ((MetadataState.Present) area.read()).newest(), "cut at " + at);

            StoreMetadata retried = area.update(first.withSlotFor(3));
            assertEquals(first.generation() + 1, retried.generation());
            assertEquals(new MetadataState.Present(retried, 2), area.read());
            StoreMetadata after = area.update(retried.withMapped(UUID.randomUUID()));
            assertEquals(new MetadataState.Present(after, 2), area.read());
            assertEquals(first.generation() + 2, after.generation());
        }
    }

    /**
     * Runs {@code operation} on a copy of {@code start}, then rebuilds and reads the disk a crash
     * would leave at every cut, checking it reads as the state before or after (and once after,
     * stays so). Returns the recording of the operation.
     */
    private static CuttingDisk assertEveryCutLeavesOldOrNew(MemoryDisk start, Operation operation, CrashCheck check)
            throws Exception {
        return assertEveryCutLeavesOldOrNew(start, BitmapWrites.DSYNC, operation, check);
    }

    private static CuttingDisk assertEveryCutLeavesOldOrNew(MemoryDisk start, BitmapWrites bitmapWrites,
            Operation operation, CrashCheck check) throws Exception {
        MetadataState before = new MetadataArea(start).read();
        CuttingDisk cut = new CuttingDisk(start.withImage(start.image().clone()));
        try (MetadataArea area = new MetadataArea(cut, bitmapWrites)) {
            operation.run(area);
        }
        MetadataState after = new MetadataArea(cut).read();
        assertFalse(sameState(before, after), "the operation changed nothing: " + after);

        boolean reachedNew = false;
        for (long at : cutPoints(cut)) {
            MemoryDisk crashed = cut.diskWith(cut.imageCutAt(at));
            MetadataState state = new MetadataArea(crashed).read();
            if (sameState(state, after)) {
                reachedNew = true;
            } else if (sameState(state, before)) {
                assertFalse(reachedNew, "cut at byte " + at + " went back to the old state " + state);
            } else {
                fail("cut at byte " + at + " of " + cut.writtenBytes() + " left " + state + ", neither " + before
                        + " nor " + after);
            }
            check.check(crashed, state);
        }
        assertTrue(sameState(new MetadataArea(cut.diskWith(cut.imageCutAt(0))).read(), before));
        for (int flush = 0; flush < cut.flushes(); flush++) {
            MetadataState state = new MetadataArea(cut.diskWith(cut.imageDroppingAfterFlush(flush))).read();
            assertTrue(sameState(state, before) || sameState(state, after), "dropped after flush " + flush);
        }
        assertTrue(sameState(new MetadataArea(cut.diskWith(cut.imageDroppingAfterFlush(cut.flushes() - 1))).read(),
                after), "the operation must flush after its last write");
        return cut;
    }

    /** Every sector boundary, plus bytes inside each sector: right after it, before a checksum, and one random. */
    static TreeSet<Long> cutPoints(CuttingDisk cut) {
        Random random = new Random(cut.writtenBytes());
        TreeSet<Long> points = new TreeSet<>();
        for (long at = 0; at <= cut.writtenBytes(); at += TORN_SECTOR) {
            points.add(at);
            if (at < cut.writtenBytes()) {
                points.add(at + 1);
                points.add(at + TORN_SECTOR - 4);
                points.add(at + 1 + random.nextInt(TORN_SECTOR - 1));
            }
        }
        return points;
    }

    /** Equal metadata when present; any absent disk counts as the same, whatever remnants it has. */
    private static boolean sameState(MetadataState a, MetadataState b) {
        return switch (a) {
            case MetadataState.Present p -> b instanceof MetadataState.Present q && p.newest().equals(q.newest());
            case MetadataState.Absent _ -> b instanceof MetadataState.Absent;
            case MetadataState.Unsupported u -> u.equals(b);
        };
    }
}
