package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetadataLayoutTest {
    private static final long MIB = 1L << 20;

    @Test
    void hundredMebibytesInChunksOf128KibFitOneBlockPerSlotAndDataAtOneMebibyte() {
        MetadataLayout layout = MetadataLayout.forStore(204800, 131072);
        assertEquals(800, layout.chunkCount());
        assertEquals(4096, layout.bitmapSlotBytes());
        assertEquals(8192, layout.bitmapOffset());
        assertEquals(8, layout.bitmapSlots());
        assertEquals(MIB, layout.dataOffset());
        assertEquals(100 * MIB, layout.dataBytes());
        assertEquals(101 * MIB, layout.requiredDeviceBytes());
        assertEquals(8192 + 3 * 4096, layout.slotOffset(3));
        assertEquals(8 * 4096, layout.bitmapBytes());
    }

    @Test
    void oneTebibyteInChunksOf4KibNeeds32MibPerSlotAndDataAt257Mib() {
        long sectors = (1L << 40) / 512;
        MetadataLayout layout = MetadataLayout.forStore(sectors, 4096);
        assertEquals(1L << 28, layout.chunkCount());
        assertEquals(32 * MIB, layout.bitmapSlotBytes());
        assertEquals(257 * MIB, layout.dataOffset());
        assertEquals(257 * MIB + (1L << 40), layout.requiredDeviceBytes());
        assertEquals(8192 + 7 * 32 * MIB, layout.slotOffset(7));
    }

    @Test
    void partialLastChunkCountsAndSlotsRoundUpToWholeBlocks() {
        MetadataLayout one = MetadataLayout.forStore(1, 4096);
        assertEquals(1, one.chunkCount());
        assertEquals(4096, one.bitmapSlotBytes());
        assertEquals(MIB, one.dataOffset());
        assertEquals(MIB + 512, one.requiredDeviceBytes());

        // 32769 chunks need 4097 bitmap bytes: two blocks per slot.
        MetadataLayout twoBlocks = MetadataLayout.forStore(32769L * 8, 4096);
        assertEquals(32769, twoBlocks.chunkCount());
        assertEquals(8192, twoBlocks.bitmapSlotBytes());
    }

    @Test
    void dataOffsetStaysAlignedWhenTheBitmapsExceedOneMebibyte() {
        // 2^24 chunks: 2 MiB per slot, 16 MiB of bitmaps after 8 KiB of headers.
        MetadataLayout layout = MetadataLayout.forStore((1L << 24) * 8, 4096);
        assertEquals(2 * MIB, layout.bitmapSlotBytes());
        assertEquals(17 * MIB, layout.dataOffset());
        assertEquals(0, layout.dataOffset() % MIB);
    }

    @Test
    void invalidInputsAreRefusedNamingTheField() {
        assertMessageNames("mapped_size", () -> MetadataLayout.forStore(0, 4096));
        assertMessageNames("mapped_size", () -> MetadataLayout.forStore(-8, 4096));
        assertMessageNames("mapped_size", () -> MetadataLayout.forStore(Long.MAX_VALUE, 4096));
        assertMessageNames("chunk_size", () -> MetadataLayout.forStore(8, 2048));
        assertMessageNames("chunk_size", () -> MetadataLayout.forStore(8, 12288));
        assertMessageNames("chunk_size", () -> MetadataLayout.forStore(8, -4096));
        assertMessageNames("mapped_size", () -> MetadataLayout.forStore((1L << 31) * 8, 4096));
    }

    @Test
    void theLargestTrackableStoreIsAccepted() {
        MetadataLayout layout = MetadataLayout.forStore((long) Integer.MAX_VALUE * 8, 4096);
        assertEquals(Integer.MAX_VALUE, layout.chunkCount());
        assertEquals(256 * MIB, layout.bitmapSlotBytes());
    }

    @Test
    void slotAndHeaderIndexesOutsideTheLayoutAreRefused() {
        MetadataLayout layout = MetadataLayout.forStore(204800, 131072);
        assertThrows(IllegalArgumentException.class, () -> layout.slotOffset(8));
        assertThrows(IllegalArgumentException.class, () -> layout.slotOffset(-1));
        assertEquals(0, MetadataLayout.headerOffset(0));
        assertEquals(4096, MetadataLayout.headerOffset(1));
        assertThrows(IllegalArgumentException.class, () -> MetadataLayout.headerOffset(2));
    }

    private static void assertMessageNames(String field, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }
}
