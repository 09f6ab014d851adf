package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class StoreMetadataTest {
    private static final UUID STORE = UUID.fromString("6f1c2a3b-0000-4000-8000-00000000000a");
    private static final UUID POOL = UUID.fromString("7e2d3c4b-0000-4000-8000-00000000000b");

    private static StoreMetadata fresh() {
        return StoreMetadata.create("pool1", 3, 204800, 131072, 512, STORE, 1_700_000_000_000L);
    }

    @Test
    void createGivesAnUnmappedUnwrittenStoreWithEverySlotFree() {
        StoreMetadata m = fresh();
        assertEquals(MetadataCodec.FORMAT_VERSION, m.formatVersion());
        assertEquals(0, m.generation());
        assertEquals("pool1", m.poolName());
        assertNull(m.poolUuid());
        assertEquals(STORE, m.storeUuid());
        assertFalse(m.mapped());
        assertEquals(3, m.memberId());
        assertEquals(MetadataLayout.forStore(204800, 131072), m.layout());
        assertArrayEquals(new int[] {-1, -1, -1, -1, -1, -1, -1, -1}, m.slotMembers());
        assertEquals(1_700_000_000_000L, m.createdAtMillis());
        assertEquals(1_700_000_000_000L, m.updatedAtMillis());
        assertEquals(0, m.writerEpoch());
        assertNull(m.writerClient());
        assertEquals(0, m.mapVersion());
        assertEquals(List.of(), m.inService());
    }

    @Test
    void withServiceRecordsTheVersionAndMembersAndKeepsEverythingElse() {
        StoreMetadata mapped = fresh().withMapped(POOL).withSlotFor(3).withWriter(4, UUID.randomUUID());
        StoreMetadata m = mapped.withService(7, List.of(3, 1, 2));
        assertEquals(7, m.mapVersion());
        assertEquals(List.of(3, 1, 2), m.inService(), "kept in the order recorded");
        assertEquals(mapped, m.withService(0, List.of()));
        for (StoreMetadata changed : List.of(m.withWriter(5, UUID.randomUUID()), m.withSlotFor(9), m.withUnmapped(),
                m.withPoolUuid(POOL), m.withGeneration(3, 4))) {
            assertEquals(7, changed.mapVersion(), "an unmap keeps the record too: versions only move forward");
            assertEquals(List.of(3, 1, 2), changed.inService());
        }
    }

    @Test
    void impossibleServiceRecordsAreRefusedNamingTheField() {
        assertMessageNames("map_version", () -> fresh().withService(-1, List.of(1)));
        assertMessageNames("map_version", () -> fresh().withService(Long.MIN_VALUE, List.of()));
        assertMessageNames("in_service", () -> fresh().withService(1, null));
        assertMessageNames("in_service", () -> fresh().withService(1, List.of(0, 1, 2, 3, 4, 5, 6, 7, 8)));
        assertMessageNames("in_service[1]", () -> fresh().withService(1, List.of(0, -1)));
        assertMessageNames("in_service", () -> fresh().withService(1, List.of(4, 2, 4)));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7),
                fresh().withService(Long.MAX_VALUE, List.of(0, 1, 2, 3, 4, 5, 6, 7)).inService());
        java.util.ArrayList<Integer> given = new java.util.ArrayList<>(List.of(1, 2));
        StoreMetadata m = fresh().withService(1, given);
        given.add(3);
        assertEquals(List.of(1, 2), m.inService(), "copied in");
    }

    @Test
    void withWriterRecordsTheEpochAndClientAndKeepsEverythingElse() {
        UUID client = UUID.fromString("8f3e4d5c-0000-4000-8000-00000000000c");
        StoreMetadata mapped = fresh().withMapped(POOL).withSlotFor(3);
        for (long epoch : new long[] {1, 2, Long.MAX_VALUE}) {
            StoreMetadata m = mapped.withWriter(epoch, client);
            assertEquals(epoch, m.writerEpoch());
            assertEquals(client, m.writerClient());
            assertEquals(mapped, m.withWriter(0, null));
        }
        StoreMetadata written = mapped.withWriter(7, client);
        assertEquals(written, written.withSlotFor(3).withPoolUuid(POOL));
        assertEquals(7, written.withSlotFor(4).writerEpoch());
        assertEquals(client, written.withMapped(POOL).writerClient());
    }

    @Test
    void withUnmappedAlsoForgetsTheWriter() {
        StoreMetadata m = fresh().withMapped(POOL).withWriter(5, UUID.randomUUID()).withUnmapped();
        assertFalse(m.mapped());
        assertNull(m.poolUuid());
        assertEquals(0, m.writerEpoch());
        assertNull(m.writerClient());
    }

    @Test
    void impossibleWritersAreRefusedNamingTheField() {
        UUID client = UUID.randomUUID();
        assertMessageNames("writer_epoch", () -> fresh().withWriter(-1, client));
        assertMessageNames("writer_epoch", () -> fresh().withWriter(Long.MIN_VALUE, null));
        assertMessageNames("writer_client", () -> fresh().withWriter(1, null));
        assertMessageNames("writer_client", () -> fresh().withWriter(0, client));
        assertMessageNames("writer_client", () -> fresh().withWriter(3, new UUID(0, 0)));
        MetadataLayout layout = MetadataLayout.forStore(8, 4096);
        int[] free = {-1, -1, -1, -1, -1, -1, -1, -1};
        assertMessageNames("writer_epoch", () -> new StoreMetadata(2, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, 0, 0, -2, client, 0, List.of()));
        assertMessageNames("writer_client", () -> new StoreMetadata(2, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, 0, 0, 9, null, 0, List.of()));
    }

    @Test
    void slotsAreAssignedInOrderOnceEachAndRunOutAfterEight() {
        StoreMetadata m = fresh().withSlotFor(3).withSlotFor(1);
        assertEquals(0, m.slotOf(3));
        assertEquals(1, m.slotOf(1));
        assertEquals(-1, m.slotOf(2));
        assertSame(m, m.withSlotFor(1));
        for (int member = 10; member < 16; member++) {
            m = m.withSlotFor(member);
        }
        assertArrayEquals(new int[] {3, 1, 10, 11, 12, 13, 14, 15}, m.slotMembers());
        StoreMetadata full = m;
        assertThrows(IllegalStateException.class, () -> full.withSlotFor(99));
        assertSame(full, full.withSlotFor(15));
        assertThrows(IllegalArgumentException.class, () -> fresh().withSlotFor(-1));
    }

    @Test
    void theActiveChunksRecordTakesOneSlotUnderItsOwnerIdAndIsNoMember() {
        StoreMetadata m = fresh().withSlotFor(3).withSlotFor(StoreMetadata.ACTIVE_CHUNKS).withSlotFor(1);
        assertArrayEquals(new int[] {3, -2, 1, -1, -1, -1, -1, -1}, m.slotMembers());
        assertEquals(1, m.slotOf(StoreMetadata.ACTIVE_CHUNKS));
        assertSame(m, m.withSlotFor(StoreMetadata.ACTIVE_CHUNKS));
        assertEquals(-1, m.slotOf(-1));
        assertEquals(-1, m.slotOf(-3));
        assertEquals(-1, fresh().slotOf(StoreMetadata.ACTIVE_CHUNKS));
        for (int member = 10; member < 15; member++) {
            m = m.withSlotFor(member);
        }
        StoreMetadata full = m;
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> full.withSlotFor(99));
        assertTrue(none.getMessage().contains("none left for member 99"), none.getMessage());
        assertThrows(IllegalArgumentException.class, () -> fresh().withSlotFor(-3));
    }

    @Test
    void withMappedSetsTheFlagAndThePoolUuid() {
        StoreMetadata m = fresh().withMapped(POOL);
        assertTrue(m.mapped());
        assertEquals(POOL, m.poolUuid());
        assertFalse(fresh().withPoolUuid(POOL).mapped());
        assertEquals(POOL, fresh().withPoolUuid(POOL).poolUuid());
        assertThrows(NullPointerException.class, () -> fresh().withMapped(null));
        assertMessageNames("pool_uuid", () -> m.withPoolUuid(null));
    }

    @Test
    void slotMembersAreCopiedInAndOut() {
        int[] slots = {5, -1, -1, -1, -1, -1, -1, -1};
        StoreMetadata m = new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, false, 5,
                MetadataLayout.forStore(8, 4096), slots, 0, 0, 0, null, 0, List.of());
        slots[0] = 6;
        assertEquals(0, m.slotOf(5));
        m.slotMembers()[0] = 7;
        assertEquals(0, m.slotOf(5));
    }

    @Test
    void equalityComparesSlotContentsNotArrayIdentity() {
        StoreMetadata a = fresh().withSlotFor(3);
        StoreMetadata b = fresh().withSlotFor(3);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, fresh().withSlotFor(4));
        assertNotEquals(a, a.withMapped(POOL));
        assertTrue(a.toString().contains("[3, -1, -1"), a.toString());
        UUID client = UUID.fromString("8f3e4d5c-0000-4000-8000-00000000000c");
        StoreMetadata w = a.withWriter(4, client);
        assertEquals(w, b.withWriter(4, client));
        assertEquals(w.hashCode(), b.withWriter(4, client).hashCode());
        assertNotEquals(a, w);
        assertNotEquals(w, a.withWriter(5, client));
        assertNotEquals(w, a.withWriter(4, UUID.randomUUID()));
        assertTrue(w.toString().contains("writerEpoch=4, writerClient=" + client), w.toString());
    }

    @Test
    void poolNamesAreOneTo64BytesOfWellFormedUtf8() {
        String sixtyFourBytes = "ü".repeat(32);
        assertEquals(64, sixtyFourBytes.getBytes(StandardCharsets.UTF_8).length);
        assertEquals(sixtyFourBytes, named(sixtyFourBytes).poolName());
        assertMessageNames("pool_name", () -> named("ü".repeat(32) + "x"));
        assertMessageNames("pool_name", () -> named(""));
        assertMessageNames("pool_name", () -> named(null));
        assertMessageNames("pool_name", () -> named("bad\uD800surrogate"));
    }

    @Test
    void impossibleValuesAreRefusedNamingTheField() {
        MetadataLayout layout = MetadataLayout.forStore(8, 4096);
        int[] free = {-1, -1, -1, -1, -1, -1, -1, -1};
        assertMessageNames("format_version", () -> new StoreMetadata(3, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("generation", () -> new StoreMetadata(1, -1, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("store_uuid", () -> new StoreMetadata(1, 0, "p", null, null, 8, 4096, 512, false, 0,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("store_uuid", () -> new StoreMetadata(1, 0, "p", null, new UUID(0, 0), 8, 4096, 512,
                false, 0, layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("pool_uuid", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, true, 0,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("sector_size", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 1000, false, 0,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("member_id", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, false, -2,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("layout", () -> new StoreMetadata(1, 0, "p", null, STORE, 16, 4096, 512, false, 0,
                layout, free, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("slot_members", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, new int[7], 0, 0, 0, null, 0, List.of()));
        assertMessageNames("slot_members", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, new int[] {1, 1, -1, -1, -1, -1, -1, -1}, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("slot_members", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, new int[] {-3, -1, -1, -1, -1, -1, -1, -1}, 0, 0, 0, null, 0, List.of()));
        assertMessageNames("slot_members holds the active-chunks record twice", () -> new StoreMetadata(1, 0, "p",
                null, STORE, 8, 4096, 512, false, 0, layout, new int[] {-2, 1, -2, -1, -1, -1, -1, -1}, 0, 0, 0,
                null, 0, List.of()));
        assertMessageNames("map_version", () -> new StoreMetadata(2, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, 0, 0, 0, null, -1, List.of()));
        assertMessageNames("in_service", () -> new StoreMetadata(2, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, 0, 0, 0, null, 1, null));
        assertMessageNames("created", () -> new StoreMetadata(1, 0, "p", null, STORE, 8, 4096, 512, false, 0,
                layout, free, -1, 0, 0, null, 0, List.of()));
        assertMessageNames("chunk_size", () -> StoreMetadata.create("p", 0, 8, 1000, 512, STORE, 0));
    }

    private static StoreMetadata named(String poolName) {
        return StoreMetadata.create(poolName, 0, 8, 4096, 512, STORE, 0);
    }

    private static void assertMessageNames(String field, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(field), e.getMessage());
    }
}
