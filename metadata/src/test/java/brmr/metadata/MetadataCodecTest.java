package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class MetadataCodecTest {
    private static final UUID STORE = UUID.fromString("0123abcd-4567-4890-8abc-def012345678");
    private static final UUID POOL = UUID.fromString("fedcba98-7654-4321-8fed-cba987654321");
    private static final UUID WRITER = UUID.fromString("13572468-9abc-4def-8123-456789abcdef");

    static List<StoreMetadata> samples() {
        StoreMetadata plain = StoreMetadata.create("pool1", 1, 204800, 131072, 512, STORE, 1_700_000_000_000L)
                .withGeneration(1, 1_700_000_000_000L);
        StoreMetadata unicode = StoreMetadata.create("日本語のプール名-ü".repeat(2) + "pool_xyz01", 7, (1L << 40) / 512,
                4096, 4096, UUID.randomUUID(), 5).withGeneration(Long.MAX_VALUE, Long.MAX_VALUE);
        StoreMetadata mapped = plain.withMapped(POOL).withSlotFor(1).withSlotFor(2)
                .withSlotFor(StoreMetadata.ACTIVE_CHUNKS).withWriter(1, WRITER).withService(3, List.of(2, 1))
                .withGeneration(42, 1_800_000_000_000L);
        StoreMetadata full = unicode.withPoolUuid(POOL).withWriter(Long.MAX_VALUE, new UUID(-1, -1))
                .withService(Long.MAX_VALUE, List.of(8, 7, 6, 5, 4, 3, 0, Integer.MAX_VALUE));
        for (int member : new int[] {7, 0, Integer.MAX_VALUE, 3, 4, 5, 6, 8}) {
            full = full.withSlotFor(member);
        }
        StoreMetadata oneSector = StoreMetadata.create("x", 0, 1, 1 << 30, 65536, STORE, 0).withGeneration(2, 0);
        return List.of(plain, unicode, mapped, full, oneSector);
    }

    @Test
    void samplesCoverTheEdges() {
        assertEquals(64, samples().get(1).poolName().getBytes(StandardCharsets.UTF_8).length);
        assertEquals(Integer.MAX_VALUE, samples().get(3).slotMembers()[2]);
        assertEquals(List.of(0L, 0L, 1L, Long.MAX_VALUE, 0L),
                samples().stream().map(StoreMetadata::writerEpoch).toList());
        assertEquals(List.of(0L, 0L, 3L, Long.MAX_VALUE, 0L),
                samples().stream().map(StoreMetadata::mapVersion).toList());
        assertEquals(8, samples().get(3).inService().size());
        assertEquals(2, samples().get(2).slotOf(StoreMetadata.ACTIVE_CHUNKS));
    }

    @Test
    void everySampleRoundTrips() {
        for (StoreMetadata m : samples()) {
            byte[] header = MetadataCodec.encode(m);
            assertEquals(MetadataCodec.HEADER_BYTES, header.length);
            DecodedHeader.Valid valid = assertInstanceOf(DecodedHeader.Valid.class, MetadataCodec.decode(header));
            assertEquals(m, valid.metadata());
            assertArrayEquals(header, MetadataCodec.encode(valid.metadata()));
        }
    }

    @Test
    void fieldsSitAtTheDocumentedOffsets() {
        StoreMetadata m = samples().get(2);
        byte[] header = MetadataCodec.encode(m);
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals("BRMRMETA", new String(header, 0, 8, StandardCharsets.US_ASCII));
        assertEquals(2, h.getInt(8));
        assertEquals(~2, h.getInt(12));
        assertEquals(42, h.getLong(16));
        assertEquals(STORE.getMostSignificantBits(), h.getLong(24));
        assertEquals(STORE.getLeastSignificantBits(), h.getLong(32));
        assertEquals(POOL.getMostSignificantBits(), h.getLong(40));
        assertEquals(POOL.getLeastSignificantBits(), h.getLong(48));
        assertEquals(204800, h.getLong(56));
        assertEquals(131072, h.getInt(64));
        assertEquals(512, h.getInt(68));
        assertEquals(1, h.getInt(72));
        assertEquals(1, h.getInt(76));
        assertEquals(1 << 20, h.getLong(80));
        assertEquals(8192, h.getLong(88));
        assertEquals(4096, h.getLong(96));
        assertEquals(8, h.getInt(104));
        assertEquals(5, h.getInt(108));
        assertEquals(800, h.getLong(112));
        assertEquals(1_700_000_000_000L, h.getLong(120));
        assertEquals(1_800_000_000_000L, h.getLong(128));
        assertEquals(1, h.getInt(136));
        assertEquals(2, h.getInt(140));
        assertEquals(-2, h.getInt(144), "the active-chunks record");
        assertEquals(-1, h.getInt(148));
        assertEquals(-1, h.getInt(164));
        assertEquals("pool1", new String(header, 168, 5, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[232 - 173], Arrays.copyOfRange(header, 173, 232));
        assertEquals(1, h.getLong(232));
        assertEquals(WRITER.getMostSignificantBits(), h.getLong(240));
        assertEquals(WRITER.getLeastSignificantBits(), h.getLong(248));
        assertEquals(3, h.getLong(256));
        assertEquals(2, h.getInt(264));
        assertEquals(1, h.getInt(268));
        for (int at = 272; at < 296; at += 4) {
            assertEquals(-1, h.getInt(at), "free in_service entry at " + at);
        }
        assertArrayEquals(new byte[4092 - 296], Arrays.copyOfRange(header, 296, 4092));
        CRC32C crc = new CRC32C();
        crc.update(header, 0, 4092);
        assertEquals((int) crc.getValue(), h.getInt(4092));
    }

    @Test
    void noWriterIsStoredAsZerosAndNoServiceAsVersion0WithFreeEntries() {
        byte[] header = MetadataCodec.encode(samples().get(0));
        assertArrayEquals(new byte[264 - 173], Arrays.copyOfRange(header, 173, 264));
        byte[] free = new byte[32];
        Arrays.fill(free, (byte) 0xff);
        assertArrayEquals(free, Arrays.copyOfRange(header, 264, 296));
    }

    @Test
    void everySingleBitFlipIsDetected() {
        for (byte[] header : List.of(MetadataCodec.encode(samples().get(2)), MetadataCodec.encode(samples().get(3)),
                version1Header(samples().get(0)))) {
            for (int bit = 0; bit < MetadataCodec.HEADER_BYTES * 8; bit++) {
                byte[] flipped = header.clone();
                flipped[bit / 8] ^= (byte) (1 << (bit % 8));
                DecodedHeader decoded = MetadataCodec.decode(flipped);
                if (!(decoded instanceof DecodedHeader.Corrupt || decoded instanceof DecodedHeader.NoMagic)) {
                    fail("flipping bit " + bit + " gave " + decoded);
                }
                if (bit >= 64) {
                    assertInstanceOf(DecodedHeader.Corrupt.class, decoded, "bit " + bit);
                }
            }
        }
    }

    @Test
    void aWrongMagicMeansNoHeader() {
        byte[] header = MetadataCodec.encode(samples().get(0));
        header[7] = 'B';
        assertEquals(new DecodedHeader.NoMagic(), MetadataCodec.decode(header));
        assertEquals(new DecodedHeader.NoMagic(), MetadataCodec.decode(new byte[MetadataCodec.HEADER_BYTES]));
    }

    @Test
    void aLaterVersionIsReportedBeforeTheChecksumIsChecked() {
        byte[] header = MetadataCodec.encode(samples().get(0));
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(8, 3).putInt(12, ~3);
        assertEquals(new DecodedHeader.FutureVersion(3), MetadataCodec.decode(header));
        Arrays.fill(header, 16, 4096, (byte) 0x5a);
        assertEquals(new DecodedHeader.FutureVersion(3), MetadataCodec.decode(header));
    }

    @Test
    void aVersionWithoutItsCheckFieldOrBelowOneIsCorrupt() {
        byte[] header = MetadataCodec.encode(samples().get(0));
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(8, 3);
        assertCorruptNaming("format_version", header);
        h.putInt(8, 1);
        assertCorruptNaming("format_version", header);
        h.putInt(8, 0).putInt(12, ~0);
        assertCorruptNaming("format_version", header);
        h.putInt(8, -3).putInt(12, ~-3);
        assertCorruptNaming("format_version", header);
    }

    @Test
    void aBadChecksumIsCorrupt() {
        byte[] header = MetadataCodec.encode(samples().get(0));
        header[4093] ^= 1;
        assertCorruptNaming("checksum", header);
    }

    @Test
    void impossibleFieldValuesAreCorruptEvenWithAGoodChecksum() {
        assertFieldCorrupt("slot_count", h -> h.putInt(104, 7));
        assertFieldCorrupt("pool_name", h -> h.putInt(108, 0));
        assertFieldCorrupt("pool_name", h -> h.putInt(108, 65));
        assertFieldCorrupt("pool_name", h -> h.put(168, (byte) 0xff));
        assertFieldCorrupt("pool_name", h -> h.put(168 + 1, (byte) 0xc3).put(168 + 2, (byte) 0x28));
        assertFieldCorrupt("pool_name", h -> h.put(168 + 5, (byte) 'x'));
        assertFieldCorrupt("data_offset", h -> h.putLong(80, 2 << 20));
        assertFieldCorrupt("bitmap_offset", h -> h.putLong(88, 4096));
        assertFieldCorrupt("slot_bytes", h -> h.putLong(96, 8192));
        assertFieldCorrupt("chunk_count", h -> h.putLong(112, 801));
        assertFieldCorrupt("chunk_count", h -> h.putLong(56, 204801 * 20L));
        assertFieldCorrupt("data_offset", h -> h.putLong(56, 1L << 31));
        assertFieldCorrupt("mapped_size", h -> h.putLong(56, 0));
        assertFieldCorrupt("chunk_size", h -> h.putInt(64, 131071));
        assertFieldCorrupt("sector_size", h -> h.putInt(68, 1000));
        assertFieldCorrupt("flags", h -> h.putInt(72, 3));
        assertFieldCorrupt("pool_uuid", h -> h.putLong(40, 0).putLong(48, 0));
        assertFieldCorrupt("store_uuid", h -> h.putLong(24, 0).putLong(32, 0));
        assertFieldCorrupt("generation", h -> h.putLong(16, 0));
        assertFieldCorrupt("generation", h -> h.putLong(16, -5));
        assertFieldCorrupt("member_id", h -> h.putInt(76, -1));
        assertFieldCorrupt("slot_members", h -> h.putInt(144, 2));
        assertFieldCorrupt("slot_members", h -> h.putInt(144, -7));
        assertFieldCorrupt("created", h -> h.putLong(120, -1));
        assertFieldCorrupt("updated", h -> h.putLong(128, Long.MIN_VALUE));
        assertFieldCorrupt("writer_epoch", h -> h.putLong(232, -1));
        assertFieldCorrupt("writer_epoch", h -> h.putLong(232, Long.MIN_VALUE));
        assertFieldCorrupt("writer_client", h -> h.putLong(240, 0).putLong(248, 0));
        assertFieldCorrupt("writer_client", h -> h.putLong(232, 0));
        assertFieldCorrupt("map_version", h -> h.putLong(256, -1));
        assertFieldCorrupt("in_service", h -> h.putInt(268, -1).putInt(272, 5));
        assertFieldCorrupt("in_service", h -> h.putInt(292, 9));
        assertFieldCorrupt("in_service[0]", h -> h.putInt(264, -2));
        assertFieldCorrupt("in_service", h -> h.putInt(268, 2));
        assertFieldCorrupt("in_service", h -> h.putInt(264, 0).putInt(268, 0));
        assertFieldCorrupt("slot_members", h -> h.putInt(148, -2));
        assertFieldCorrupt("reserved", h -> h.put(296, (byte) 1));
        assertFieldCorrupt("reserved", h -> h.put(2000, (byte) 1));
        assertFieldCorrupt("reserved", h -> h.put(4091, (byte) 1));
    }

    @Test
    void randomBytesNeverThrowAndNeverDecodeAsValid() {
        Random random = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            byte[] header = new byte[MetadataCodec.HEADER_BYTES];
            random.nextBytes(header);
            if (i % 2 == 0) {
                System.arraycopy(MetadataCodec.MAGIC, 0, header, 0, 8);
                int version = i % 4 == 0 ? 1 : 2;
                ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(8, version).putInt(12, ~version);
            }
            if (i % 4 == 0) {
                reseal(header);
            }
            DecodedHeader decoded = MetadataCodec.decode(header);
            if (decoded instanceof DecodedHeader.Valid) {
                fail("random header " + i + " decoded as " + decoded);
            }
        }
    }

    @Test
    void resealedMutationsNeverThrowAndDecodeOnlyToTheirOwnEncoding() {
        Random random = new Random(2);
        List<StoreMetadata> samples = samples();
        int valid = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] header = MetadataCodec.encode(samples.get(i % samples.size()));
            for (int n = random.nextInt(3) + 1; n > 0; n--) {
                int at = 16 + random.nextInt(MetadataCodec.RESERVED_OFFSET - 16 + 4);
                header[at] = random.nextInt(4) == 0 ? 0 : (byte) random.nextInt(256);
            }
            reseal(header);
            if (MetadataCodec.decode(header) instanceof DecodedHeader.Valid v) {
                valid++;
                assertArrayEquals(header, MetadataCodec.encode(v.metadata()), "mutation " + i);
            }
        }
        assertTrue(valid > 50, "too few mutations stayed valid to be a test: " + valid);
    }

    @Test
    void aVersion1HeaderReadsAsNoWriterNoServiceAndIsRewrittenAsVersion2() {
        for (StoreMetadata m : samples()) {
            StoreMetadata withoutWriter = m.withWriter(0, null).withService(0, List.of());
            byte[] old = version1Header(withoutWriter);
            DecodedHeader.Valid valid = assertInstanceOf(DecodedHeader.Valid.class, MetadataCodec.decode(old));
            StoreMetadata read = valid.metadata();
            assertEquals(1, read.formatVersion());
            assertEquals(0, read.writerEpoch());
            assertNull(read.writerClient());
            assertEquals(0, read.mapVersion());
            assertEquals(List.of(), read.inService());
            assertEquals(withoutWriter, read.withGeneration(read.generation(), read.updatedAtMillis()));
            assertArrayEquals(MetadataCodec.encode(withoutWriter), MetadataCodec.encode(read));
        }
    }

    @Test
    void aVersion1HeaderHasNoWriterOrServiceFields() {
        for (int offset : new int[] {232, 239, 240, 255, 256, 263, 264, 295}) {
            byte[] old = version1Header(samples().get(2).withWriter(0, null).withService(0, List.of()));
            old[offset] = 1;
            reseal(old);
            assertCorruptNaming("reserved byte at offset " + offset, old);
        }
    }

    @Test
    void onlyWrittenMetadataAndWholeHeadersAreAccepted() {
        StoreMetadata unwritten = StoreMetadata.create("p", 0, 8, 4096, 512, STORE, 0);
        assertThrows(IllegalArgumentException.class, () -> MetadataCodec.encode(unwritten));
        assertThrows(IllegalArgumentException.class, () -> MetadataCodec.decode(new byte[4095]));
    }

    private interface Mutation {
        void apply(ByteBuffer header);
    }

    private static void assertFieldCorrupt(String field, Mutation mutation) {
        byte[] header = MetadataCodec.encode(samples().get(2));
        mutation.apply(ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN));
        reseal(header);
        assertCorruptNaming(field, header);
    }

    private static void assertCorruptNaming(String field, byte[] header) {
        DecodedHeader decoded = MetadataCodec.decode(header);
        DecodedHeader.Corrupt corrupt = assertInstanceOf(DecodedHeader.Corrupt.class, decoded, field);
        assertTrue(corrupt.reason().contains(field), "expected " + field + " in: " + corrupt.reason());
    }

    /**
     * The header brmr wrote before format version 2 for metadata without a writer or service record:
     * the same layout, version 1, the writer and service fields still part of the zero reserved area.
     */
    static byte[] version1Header(StoreMetadata m) {
        assertEquals(0, m.writerEpoch(), "a version-1 header cannot hold a writer");
        assertEquals(0, m.mapVersion(), "a version-1 header cannot hold a map version");
        assertEquals(List.of(), m.inService(), "a version-1 header cannot hold members in service");
        byte[] header = MetadataCodec.encode(m);
        Arrays.fill(header, MetadataCodec.IN_SERVICE_OFFSET, MetadataCodec.RESERVED_OFFSET, (byte) 0);
        assertArrayEquals(new byte[MetadataCodec.CHECKSUM_OFFSET - MetadataCodec.V1_RESERVED_OFFSET],
                Arrays.copyOfRange(header, MetadataCodec.V1_RESERVED_OFFSET, MetadataCodec.CHECKSUM_OFFSET));
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1).putInt(12, ~1);
        reseal(header);
        return header;
    }

    /** Stores a correct checksum, as a writer with a bug (not a torn write) would. */
    static void reseal(byte[] header) {
        CRC32C crc = new CRC32C();
        crc.update(header, 0, MetadataCodec.CHECKSUM_OFFSET);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(MetadataCodec.CHECKSUM_OFFSET,
                (int) crc.getValue());
    }
}
