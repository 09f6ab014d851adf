package brmr.metadata;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The store header format: the one place that reads and writes header bytes. A header is 4096
 * bytes, all integers little-endian, a UUID as its most then its least significant 64 bits:
 *
 * <pre>
 * offset size field
 *      0    8 magic "BRMRMETA"
 *      8    4 format_version (2; 1 is still read)
 *     12    4 format_version_check (bitwise NOT of format_version)
 *     16    8 generation (at least 1)
 *     24   16 store_uuid
 *     40   16 pool_uuid (all zero: unset)
 *     56    8 mapped_size (sectors of 512 bytes)
 *     64    4 chunk_size (bytes)
 *     68    4 sector_size (bytes)
 *     72    4 flags (bit 0: MAPPED; other bits zero)
 *     76    4 member_id
 *     80    8 data_offset
 *     88    8 bitmap_offset
 *     96    8 slot_bytes
 *    104    4 slot_count (8)
 *    108    4 pool_name_length (1..64)
 *    112    8 chunk_count
 *    120    8 created (ms since the epoch)
 *    128    8 updated (ms since the epoch)
 *    136   32 slot_members (8 x int32: the member whose dirty map the slot holds, -1: free,
 *             -2: the active-chunks record; each member and -2 at most once)
 *    168   64 pool_name (UTF-8, zero padded)
 *    232    8 writer_epoch (0: no writer yet)
 *    240   16 writer_client (all zero: none; set exactly when writer_epoch is not 0)
 *    256    8 map_version (0: none recorded yet; not negative)
 *    264   32 in_service (8 x int32: the members in service at map_version, then -1 for each free entry)
 *    296 3796 reserved, zero
 *   4092    4 checksum: CRC32C of bytes 0..4091
 * </pre>
 *
 * The active-chunks record is a bitmap slot like a member's dirty map (bit c set: this store may
 * have written chunk c without every leg having it), owned by -2 in slot_members; it is allocated
 * at the first write and never counts as a member.
 *
 * <p>Version 1 is the same layout without the writer, map version and in-service set: its reserved
 * area starts at 232, so a version-1 header reads as writer epoch 0 with no writer, map version 0
 * and no member in service. Headers are always written as version 2.
 *
 * The version is checked before the checksum because a later version may lay the rest out
 * differently; its check field keeps a flipped version bit from passing as a future version.
 */
public final class MetadataCodec {
    public static final int FORMAT_VERSION = 2;
    public static final int HEADER_BYTES = 4096;

    static final byte[] MAGIC = "BRMRMETA".getBytes(StandardCharsets.US_ASCII);
    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 8;
    static final int VERSION_CHECK_OFFSET = 12;
    static final int GENERATION_OFFSET = 16;
    static final int STORE_UUID_OFFSET = 24;
    static final int POOL_UUID_OFFSET = 40;
    static final int MAPPED_SIZE_OFFSET = 56;
    static final int CHUNK_SIZE_OFFSET = 64;
    static final int SECTOR_SIZE_OFFSET = 68;
    static final int FLAGS_OFFSET = 72;
    static final int MEMBER_ID_OFFSET = 76;
    static final int DATA_OFFSET_OFFSET = 80;
    static final int BITMAP_OFFSET_OFFSET = 88;
    static final int SLOT_BYTES_OFFSET = 96;
    static final int SLOT_COUNT_OFFSET = 104;
    static final int POOL_NAME_LENGTH_OFFSET = 108;
    static final int CHUNK_COUNT_OFFSET = 112;
    static final int CREATED_OFFSET = 120;
    static final int UPDATED_OFFSET = 128;
    static final int SLOT_MEMBERS_OFFSET = 136;
    static final int POOL_NAME_OFFSET = SLOT_MEMBERS_OFFSET + 4 * MetadataLayout.BITMAP_SLOTS;
    static final int POOL_NAME_END = POOL_NAME_OFFSET + StoreMetadata.MAX_POOL_NAME_BYTES;
    static final int WRITER_EPOCH_OFFSET = POOL_NAME_END;
    static final int WRITER_CLIENT_OFFSET = WRITER_EPOCH_OFFSET + 8;
    static final int MAP_VERSION_OFFSET = WRITER_CLIENT_OFFSET + 16;
    static final int IN_SERVICE_OFFSET = MAP_VERSION_OFFSET + 8;
    static final int RESERVED_OFFSET = IN_SERVICE_OFFSET + 4 * StoreMetadata.MAX_IN_SERVICE;
    /** Where the reserved area of a version-1 header starts: it had no writer or service fields. */
    static final int V1_RESERVED_OFFSET = WRITER_EPOCH_OFFSET;
    static final int CHECKSUM_OFFSET = HEADER_BYTES - 4;
    static final int FLAG_MAPPED = 1;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private MetadataCodec() {
    }

    public static byte[] encode(StoreMetadata metadata) {
        byte[] header = new byte[HEADER_BYTES];
        encode(metadata, MemorySegment.ofArray(header));
        return header;
    }

    /** Writes the header into the first 4096 bytes of {@code dst}. */
    public static void encode(StoreMetadata m, MemorySegment dst) {
        if (dst.byteSize() < HEADER_BYTES) {
            throw new IllegalArgumentException("a header needs " + HEADER_BYTES + " bytes, got " + dst.byteSize());
        }
        if (m.generation() < 1) {
            throw new IllegalArgumentException("generation must be at least 1 to be written, got " + m.generation());
        }
        MemorySegment h = dst.asSlice(0, HEADER_BYTES);
        h.fill((byte) 0);
        MemorySegment.copy(MemorySegment.ofArray(MAGIC), 0, h, MAGIC_OFFSET, MAGIC.length);
        h.set(INT, VERSION_OFFSET, FORMAT_VERSION);
        h.set(INT, VERSION_CHECK_OFFSET, ~FORMAT_VERSION);
        h.set(LONG, GENERATION_OFFSET, m.generation());
        setUuid(h, STORE_UUID_OFFSET, m.storeUuid());
        if (m.poolUuid() != null) {
            setUuid(h, POOL_UUID_OFFSET, m.poolUuid());
        }
        h.set(LONG, MAPPED_SIZE_OFFSET, m.mappedSizeSectors());
        h.set(INT, CHUNK_SIZE_OFFSET, m.chunkSize());
        h.set(INT, SECTOR_SIZE_OFFSET, m.sectorSize());
        h.set(INT, FLAGS_OFFSET, m.mapped() ? FLAG_MAPPED : 0);
        h.set(INT, MEMBER_ID_OFFSET, m.memberId());
        MetadataLayout layout = m.layout();
        h.set(LONG, DATA_OFFSET_OFFSET, layout.dataOffset());
        h.set(LONG, BITMAP_OFFSET_OFFSET, layout.bitmapOffset());
        h.set(LONG, SLOT_BYTES_OFFSET, layout.bitmapSlotBytes());
        h.set(INT, SLOT_COUNT_OFFSET, layout.bitmapSlots());
        byte[] name = StoreMetadata.poolNameBytes(m.poolName());
        h.set(INT, POOL_NAME_LENGTH_OFFSET, name.length);
        h.set(LONG, CHUNK_COUNT_OFFSET, layout.chunkCount());
        h.set(LONG, CREATED_OFFSET, m.createdAtMillis());
        h.set(LONG, UPDATED_OFFSET, m.updatedAtMillis());
        int[] slots = m.slotMembers();
        for (int i = 0; i < slots.length; i++) {
            h.set(INT, SLOT_MEMBERS_OFFSET + 4L * i, slots[i]);
        }
        MemorySegment.copy(MemorySegment.ofArray(name), 0, h, POOL_NAME_OFFSET, name.length);
        h.set(LONG, WRITER_EPOCH_OFFSET, m.writerEpoch());
        if (m.writerClient() != null) {
            setUuid(h, WRITER_CLIENT_OFFSET, m.writerClient());
        }
        h.set(LONG, MAP_VERSION_OFFSET, m.mapVersion());
        List<Integer> inService = m.inService();
        for (int i = 0; i < StoreMetadata.MAX_IN_SERVICE; i++) {
            h.set(INT, IN_SERVICE_OFFSET + 4L * i, i < inService.size() ? inService.get(i) : StoreMetadata.FREE_SLOT);
        }
        h.set(INT, CHECKSUM_OFFSET, checksum(h));
    }

    public static DecodedHeader decode(byte[] header) {
        return decode(MemorySegment.ofArray(header));
    }

    /** Decodes a 4096-byte header; never throws on any content. */
    public static DecodedHeader decode(MemorySegment header) {
        if (header.byteSize() != HEADER_BYTES) {
            throw new IllegalArgumentException("a header is " + HEADER_BYTES + " bytes, got " + header.byteSize());
        }
        MemorySegment h = header;
        if (MemorySegment.ofArray(MAGIC).mismatch(h.asSlice(MAGIC_OFFSET, MAGIC.length)) != -1) {
            return new DecodedHeader.NoMagic();
        }
        int version = h.get(INT, VERSION_OFFSET);
        if (h.get(INT, VERSION_CHECK_OFFSET) != ~version) {
            return new DecodedHeader.Corrupt("format_version " + version + " does not match format_version_check");
        }
        if (version > FORMAT_VERSION) {
            return new DecodedHeader.FutureVersion(version);
        }
        if (version < 1) {
            return new DecodedHeader.Corrupt("format_version " + version + " is not a valid version");
        }
        int stored = h.get(INT, CHECKSUM_OFFSET);
        int computed = checksum(h);
        if (stored != computed) {
            return new DecodedHeader.Corrupt(String.format("checksum 0x%08x does not match the computed 0x%08x",
                    stored, computed));
        }
        return decodeFields(h, version);
    }

    private static DecodedHeader decodeFields(MemorySegment h, int version) {
        boolean version2 = version >= 2;
        long reserved = firstNonZero(h, version2 ? RESERVED_OFFSET : V1_RESERVED_OFFSET, CHECKSUM_OFFSET);
        if (reserved >= 0) {
            return new DecodedHeader.Corrupt("reserved byte at offset " + reserved + " is not zero");
        }
        long generation = h.get(LONG, GENERATION_OFFSET);
        if (generation < 1) {
            return new DecodedHeader.Corrupt("generation " + generation + " is below 1");
        }
        UUID storeUuid = getUuid(h, STORE_UUID_OFFSET);
        if (storeUuid == null) {
            return new DecodedHeader.Corrupt("store_uuid is unset");
        }
        int flags = h.get(INT, FLAGS_OFFSET);
        if ((flags & ~FLAG_MAPPED) != 0) {
            return new DecodedHeader.Corrupt(String.format("flags 0x%08x has unknown bits", flags));
        }
        int slotCount = h.get(INT, SLOT_COUNT_OFFSET);
        if (slotCount != MetadataLayout.BITMAP_SLOTS) {
            return new DecodedHeader.Corrupt("slot_count " + slotCount + " is not " + MetadataLayout.BITMAP_SLOTS);
        }
        String poolName;
        try {
            poolName = poolName(h);
        } catch (IllegalArgumentException e) {
            return new DecodedHeader.Corrupt(e.getMessage());
        }
        long mappedSize = h.get(LONG, MAPPED_SIZE_OFFSET);
        int chunkSize = h.get(INT, CHUNK_SIZE_OFFSET);
        MetadataLayout layout;
        try {
            layout = MetadataLayout.forStore(mappedSize, chunkSize);
        } catch (IllegalArgumentException e) {
            return new DecodedHeader.Corrupt(e.getMessage());
        }
        String layoutMismatch = layoutMismatch(h, layout);
        if (layoutMismatch != null) {
            return new DecodedHeader.Corrupt(layoutMismatch);
        }
        int[] slots = new int[MetadataLayout.BITMAP_SLOTS];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = h.get(INT, SLOT_MEMBERS_OFFSET + 4L * i);
        }
        List<Integer> inService = version2 ? inService(h) : List.of();
        if (inService == null) {
            return new DecodedHeader.Corrupt("in_service holds a member after a free (-1) entry");
        }
        try {
            return new DecodedHeader.Valid(new StoreMetadata(version, generation, poolName,
                    getUuid(h, POOL_UUID_OFFSET), storeUuid, mappedSize, chunkSize, h.get(INT, SECTOR_SIZE_OFFSET),
                    (flags & FLAG_MAPPED) != 0, h.get(INT, MEMBER_ID_OFFSET), layout, slots,
                    h.get(LONG, CREATED_OFFSET), h.get(LONG, UPDATED_OFFSET),
                    version2 ? h.get(LONG, WRITER_EPOCH_OFFSET) : 0,
                    version2 ? getUuid(h, WRITER_CLIENT_OFFSET) : null,
                    version2 ? h.get(LONG, MAP_VERSION_OFFSET) : 0, inService));
        } catch (IllegalArgumentException e) {
            return new DecodedHeader.Corrupt(e.getMessage());
        }
    }

    /**
     * The members in service: the entries before the first -1; null when a member follows a -1, so
     * that every valid header is the encoding of what it decodes to. Other values are checked by
     * {@link StoreMetadata}.
     */
    private static List<Integer> inService(MemorySegment h) {
        List<Integer> members = new ArrayList<>();
        boolean free = false;
        for (int i = 0; i < StoreMetadata.MAX_IN_SERVICE; i++) {
            int member = h.get(INT, IN_SERVICE_OFFSET + 4L * i);
            if (member == StoreMetadata.FREE_SLOT) {
                free = true;
            } else if (free) {
                return null;
            } else {
                members.add(member);
            }
        }
        return members;
    }

    /** Names the first stored layout field that differs from the layout of mapped size and chunk size. */
    private static String layoutMismatch(MemorySegment h, MetadataLayout expected) {
        String[] names = {"data_offset", "bitmap_offset", "slot_bytes", "chunk_count"};
        long[] offsets = {DATA_OFFSET_OFFSET, BITMAP_OFFSET_OFFSET, SLOT_BYTES_OFFSET, CHUNK_COUNT_OFFSET};
        long[] values = {expected.dataOffset(), expected.bitmapOffset(), expected.bitmapSlotBytes(),
                expected.chunkCount()};
        for (int i = 0; i < names.length; i++) {
            long stored = h.get(LONG, offsets[i]);
            if (stored != values[i]) {
                return names[i] + " " + stored + " does not match the layout of mapped_size and chunk_size ("
                        + values[i] + ")";
            }
        }
        return null;
    }

    private static String poolName(MemorySegment h) {
        int length = h.get(INT, POOL_NAME_LENGTH_OFFSET);
        if (length < 1 || length > StoreMetadata.MAX_POOL_NAME_BYTES) {
            throw new IllegalArgumentException("pool_name length " + length + " is not in 1.."
                    + StoreMetadata.MAX_POOL_NAME_BYTES);
        }
        long padding = firstNonZero(h, POOL_NAME_OFFSET + length, POOL_NAME_END);
        if (padding >= 0) {
            throw new IllegalArgumentException("pool_name padding at offset " + padding + " is not zero");
        }
        byte[] bytes = h.asSlice(POOL_NAME_OFFSET, length).toArray(ValueLayout.JAVA_BYTE);
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("pool_name is not valid UTF-8");
        }
    }

    /** The offset of the first non-zero byte in [from, to), or -1. */
    private static long firstNonZero(MemorySegment h, long from, long to) {
        long at = h.asSlice(from, to - from).mismatch(MemorySegment.ofArray(new byte[(int) (to - from)]));
        return at < 0 ? -1 : from + at;
    }

    private static void setUuid(MemorySegment h, long offset, UUID uuid) {
        h.set(LONG, offset, uuid.getMostSignificantBits());
        h.set(LONG, offset + 8, uuid.getLeastSignificantBits());
    }

    /** The UUID at {@code offset}, or null when all its bytes are zero. */
    private static UUID getUuid(MemorySegment h, long offset) {
        long most = h.get(LONG, offset);
        long least = h.get(LONG, offset + 8);
        return most == 0 && least == 0 ? null : new UUID(most, least);
    }

    private static int checksum(MemorySegment h) {
        CRC32C crc = new CRC32C();
        crc.update(h.asSlice(0, CHECKSUM_OFFSET).asByteBuffer());
        return (int) crc.getValue();
    }
}
