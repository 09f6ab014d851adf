package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MetadataAreaTest {
    static StoreMetadata store(int sectorSize) {
        return StoreMetadata.create("pool1", 1, 65536L * 8, 4096, sectorSize, UUID.randomUUID(),
                System.currentTimeMillis());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aBlankDiskOrOneTooSmallForTwoHeadersHasNoMetadata(int sectorSize) throws Exception {
        MetadataState absent = new MetadataState.Absent(false);
        assertEquals(absent, new MetadataArea(MemoryDisk.forStore(store(sectorSize))).read());
        assertEquals(absent, new MetadataArea(new MemoryDisk(new byte[4096], sectorSize)).read());
        byte[] garbage = new byte[1 << 20];
        new Random(4).nextBytes(garbage);
        assertEquals(absent, new MetadataArea(new MemoryDisk(garbage, sectorSize)).read());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void createWritesGenerationOneIntoCopyAAfterZeroingTheBitmaps(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        CuttingDisk disk = new CuttingDisk(garbageDisk(fresh));
        byte[] copyBBefore = Arrays.copyOfRange(disk.imageCutAt(0), 4096, 8192);

        StoreMetadata written = new MetadataArea(disk).create(fresh);

        assertEquals(fresh.withGeneration(1, fresh.updatedAtMillis()), written);
        assertEquals(new MetadataState.Present(written, 1), new MetadataArea(disk).read());
        MetadataLayout layout = fresh.layout();
        List<CuttingDisk.Write> writes = disk.writes();
        assertEquals(2, writes.size());
        assertEquals(layout.bitmapOffset(), writes.get(0).offset());
        assertArrayEquals(new byte[(int) layout.bitmapBytes()], writes.get(0).data());
        assertEquals(0, writes.get(1).offset());
        assertEquals(new DecodedHeader.Valid(written), MetadataCodec.decode(writes.get(1).data()));
        assertEquals(2, disk.flushes());
        assertEquals(layout.bitmapBytes(), disk.bytesBeforeFlush(0));
        byte[] after = disk.imageCutAt(disk.writtenBytes());
        assertArrayEquals(copyBBefore, Arrays.copyOfRange(after, 4096, 8192));
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void updatesAlternateCopiesAndTheHighestGenerationWins(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        StoreMetadata current = new MetadataArea(memory).create(fresh);
        long[] expectedTargets = {4096, 0, 4096, 0, 4096};
        for (int i = 0; i < expectedTargets.length; i++) {
            CuttingDisk disk = new CuttingDisk(memory);
            long before = System.currentTimeMillis();
            StoreMetadata next = current.withSlotFor(10 + i);
            StoreMetadata written = new MetadataArea(disk).update(next);

            assertEquals(current.generation() + 1, written.generation());
            assertTrue(written.updatedAtMillis() >= before);
            assertEquals(next.withGeneration(written.generation(), written.updatedAtMillis()), written);
            assertEquals(1, disk.writes().size());
            assertEquals(expectedTargets[i], disk.writes().get(0).offset());
            assertEquals(4096, disk.writes().get(0).data().length);
            assertEquals(1, disk.flushes());
            assertEquals(new MetadataState.Present(written, 2), new MetadataArea(memory).read());
            current = written;
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aDamagedCopyLeavesTheOtherInForceAndIsTheNextTarget(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        MetadataArea area = new MetadataArea(memory);
        StoreMetadata first = area.create(fresh);
        StoreMetadata second = area.update(first.withMapped(UUID.randomUUID()));
        memory.image()[4096 + 100] ^= 0x10;
        assertEquals(new MetadataState.Present(first, 1), area.read());

        CuttingDisk disk = new CuttingDisk(memory);
        StoreMetadata third = new MetadataArea(disk).update(first.withSlotFor(1));
        assertEquals(4096, disk.writes().get(0).offset());
        assertEquals(second.generation(), third.generation());
        assertEquals(new MetadataState.Present(third, 2), area.read());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void unmappingClearsMappedAndThePoolUuidButKeepsTheSlots(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        MetadataArea area = new MetadataArea(MemoryDisk.forStore(fresh));
        StoreMetadata mapped = area.update(area.create(fresh).withSlotFor(3).withMapped(UUID.randomUUID()));
        StoreMetadata unmapped = area.update(mapped.withUnmapped());
        assertEquals(unmapped, assertInstanceOf(MetadataState.Present.class, area.read()).newest());
        assertEquals(false, unmapped.mapped());
        assertEquals(null, unmapped.poolUuid());
        assertEquals(0, unmapped.slotOf(3));
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void eraseLeavesNoMetadataAndZeroBitmaps(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        MetadataArea area = new MetadataArea(memory);
        StoreMetadata m = area.update(area.create(fresh).withSlotFor(1));
        long[] words = new long[BitmapCodec.wordCount(m.layout().chunkCount())];
        Arrays.fill(words, -1L);
        area.writeBitmap(m, 0, words, 0, m.layout().chunkCount());

        area.erase();

        assertEquals(new MetadataState.Absent(false), area.read());
        assertArrayEquals(new byte[memory.image().length], memory.image());
        StoreMetadata again = area.create(store(sectorSize));
        assertEquals(new MetadataState.Present(again, 1), area.read());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void eraseOfADiskWithoutMetadataClearsRemnantsOnly(int sectorSize) throws Exception {
        MemoryDisk memory = MemoryDisk.forStore(store(sectorSize));
        byte[] remnant = MetadataCodec.encode(store(sectorSize).withGeneration(3, 0));
        remnant[200] ^= 1;
        System.arraycopy(remnant, 0, memory.image(), 4096, 4096);
        Arrays.fill(memory.image(), 8192, 16384, (byte) 0x77);
        MetadataArea area = new MetadataArea(memory);
        assertEquals(new MetadataState.Absent(true), area.read());

        area.erase();

        assertEquals(new MetadataState.Absent(false), area.read());
        assertEquals(0x77, memory.image()[8192]);
        new MetadataArea(new MemoryDisk(new byte[4096], sectorSize)).erase();
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void createRefusesADiskWithMetadataOrTooSmallAndWritesNothing(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        MemoryDisk memory = MemoryDisk.forStore(fresh);
        new MetadataArea(memory).create(fresh);
        CuttingDisk disk = new CuttingDisk(memory);
        IllegalStateException taken = assertThrows(IllegalStateException.class,
                () -> new MetadataArea(disk).create(store(sectorSize)));
        assertTrue(taken.getMessage().contains("pool pool1"), taken.getMessage());

        StoreMetadata big = StoreMetadata.create("p", 1, 65536L * 8 + 1, 4096, sectorSize, UUID.randomUUID(), 0);
        CuttingDisk small = new CuttingDisk(MemoryDisk.forStore(fresh));
        IllegalStateException tooSmall = assertThrows(IllegalStateException.class,
                () -> new MetadataArea(small).create(big));
        assertTrue(tooSmall.getMessage().contains("mapped_size"), tooSmall.getMessage());

        StoreMetadata otherSectors = StoreMetadata.create("p", 1, 65536L * 8, 4096, 8192 / sectorSize * 512,
                UUID.randomUUID(), 0);
        assertThrows(IllegalArgumentException.class, () -> new MetadataArea(small).create(otherSectors));
        assertEquals(0, disk.writes().size() + small.writes().size() + disk.flushes() + small.flushes());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void updateRefusesADiskWithoutMetadataAndChangesToFixedFields(int sectorSize) throws Exception {
        StoreMetadata fresh = store(sectorSize);
        CuttingDisk blank = new CuttingDisk(MemoryDisk.forStore(fresh));
        assertThrows(IllegalStateException.class,
                () -> new MetadataArea(blank).update(fresh.withGeneration(1, 0)));

        MemoryDisk memory = MemoryDisk.forStore(fresh);
        StoreMetadata written = new MetadataArea(memory).create(fresh);
        CuttingDisk disk = new CuttingDisk(memory);
        MetadataArea area = new MetadataArea(disk);
        assertFixed("store_uuid", () -> area.update(new StoreMetadata(1, 1, "pool1", null, UUID.randomUUID(),
                written.mappedSizeSectors(), 4096, sectorSize, false, 1, written.layout(), written.slotMembers(),
                written.createdAtMillis(), 0, 0, null, 0, List.of())));
        assertFixed("pool_name", () -> area.update(StoreMetadata.create("pool2", 1, 65536L * 8, 4096, sectorSize,
                written.storeUuid(), written.createdAtMillis())));
        assertFixed("mapped_size", () -> area.update(StoreMetadata.create("pool1", 1, 65536L * 16, 4096,
                sectorSize, written.storeUuid(), written.createdAtMillis())));
        assertFixed("chunk_size", () -> area.update(StoreMetadata.create("pool1", 1, 65536L * 8, 8192,
                sectorSize, written.storeUuid(), written.createdAtMillis())));
        assertFixed("created", () -> area.update(StoreMetadata.create("pool1", 1, 65536L * 8, 4096,
                sectorSize, written.storeUuid(), written.createdAtMillis() + 1)));
        assertEquals(0, blank.writes().size() + disk.writes().size());
    }

    @ParameterizedTest
    @ValueSource(ints = {512, 4096})
    void aFutureVersionInEitherCopyMakesTheDiskUnsupported(int sectorSize) throws Exception {
        for (int copy = 0; copy < 2; copy++) {
            StoreMetadata fresh = store(sectorSize);
            MemoryDisk memory = MemoryDisk.forStore(fresh);
            StoreMetadata written = new MetadataArea(memory).create(fresh);
            byte[] future = MetadataCodec.encode(written);
            ByteBuffer.wrap(future).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 3).putInt(12, ~3).putInt(4092, 0);
            System.arraycopy(future, 0, memory.image(), copy * 4096, 4096);
            CuttingDisk disk = new CuttingDisk(memory);
            MetadataArea area = new MetadataArea(disk);

            assertEquals(new MetadataState.Unsupported(3), area.read());
            assertThrows(IllegalStateException.class, () -> area.create(store(sectorSize)));
            assertThrows(IllegalStateException.class, () -> area.update(written));
            assertThrows(IllegalStateException.class, area::erase);
            assertEquals(0, disk.writes().size());
        }
    }

    private static void assertFixed(String field, org.junit.jupiter.api.function.Executable update) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, update);
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }

    /** A disk for {@code m} whose every byte is random. */
    static MemoryDisk garbageDisk(StoreMetadata m) throws Exception {
        MemoryDisk disk = MemoryDisk.forStore(m);
        new Random(m.storeUuid().getLeastSignificantBits()).nextBytes(disk.image());
        assertInstanceOf(MetadataState.Absent.class, new MetadataArea(disk).read());
        return disk;
    }
}
