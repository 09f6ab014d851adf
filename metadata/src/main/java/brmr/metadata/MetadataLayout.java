package brmr.metadata;

/**
 * Where the parts of a store live on its device: header copy A at 0, header copy B at 4096, the
 * bitmap region at 8192 ({@link #BITMAP_SLOTS} slots of {@code bitmapSlotBytes}, one per pool
 * member and one for the active-chunks record), then the data area at {@code dataOffset}, aligned to 1 MiB. Obtain one through
 * {@link #forStore}; the offsets are in bytes.
 */
public record MetadataLayout(long dataOffset, long dataBytes, long bitmapOffset, int bitmapSlots,
        long bitmapSlotBytes, long chunkCount) {
    /** The unit of {@code mapped_size}. */
    public static final int SECTOR_BYTES = 512;
    /** Header copy A, then copy B, each {@link MetadataCodec#HEADER_BYTES} long. */
    public static final int HEADER_COPIES = 2;
    public static final long BITMAP_OFFSET = HEADER_COPIES * (long) MetadataCodec.HEADER_BYTES;
    public static final int BITMAP_SLOTS = 8;
    /** Unit of metadata IO: a multiple of every logical sector size, so direct IO always works. */
    public static final int BLOCK_BYTES = 4096;
    public static final long DATA_ALIGNMENT = 1L << 20;
    public static final int MIN_CHUNK_SIZE = 4096;
    /** Chunk numbers must fit an int so that dirty maps can be plain bit sets. */
    public static final long MAX_CHUNK_COUNT = Integer.MAX_VALUE;

    public static MetadataLayout forStore(long mappedSizeSectors, int chunkSize) {
        if (mappedSizeSectors <= 0) {
            throw new IllegalArgumentException("mapped_size must be at least 1 sector, got " + mappedSizeSectors);
        }
        if (mappedSizeSectors > Long.MAX_VALUE / SECTOR_BYTES / 2) {
            throw new IllegalArgumentException("mapped_size of " + mappedSizeSectors + " sectors is too large");
        }
        if (chunkSize < MIN_CHUNK_SIZE || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException(
                    "chunk_size must be a power of two of at least " + MIN_CHUNK_SIZE + " bytes, got " + chunkSize);
        }
        long dataBytes = mappedSizeSectors * SECTOR_BYTES;
        long chunkCount = Math.ceilDiv(dataBytes, chunkSize);
        if (chunkCount > MAX_CHUNK_COUNT) {
            throw new IllegalArgumentException("mapped_size of " + mappedSizeSectors + " sectors needs " + chunkCount
                    + " chunks of chunk_size " + chunkSize + ", more than the " + MAX_CHUNK_COUNT
                    + " a store can track");
        }
        long slotBytes = roundUp(Math.ceilDiv(chunkCount, 8), BLOCK_BYTES);
        long dataOffset = roundUp(BITMAP_OFFSET + BITMAP_SLOTS * slotBytes, DATA_ALIGNMENT);
        return new MetadataLayout(dataOffset, dataBytes, BITMAP_OFFSET, BITMAP_SLOTS, slotBytes, chunkCount);
    }

    /** The offset of header copy 0 (A) or 1 (B). */
    public static long headerOffset(int copy) {
        if (copy < 0 || copy >= HEADER_COPIES) {
            throw new IllegalArgumentException("header copy must be 0 or 1, got " + copy);
        }
        return copy * (long) MetadataCodec.HEADER_BYTES;
    }

    /** The smallest device that holds the metadata and the whole data area. */
    public long requiredDeviceBytes() {
        return dataOffset + dataBytes;
    }

    /** The length of all bitmap slots together. */
    public long bitmapBytes() {
        return bitmapSlots * bitmapSlotBytes;
    }

    public long slotOffset(int slot) {
        if (slot < 0 || slot >= bitmapSlots) {
            throw new IllegalArgumentException("bitmap slot must be in 0.." + (bitmapSlots - 1) + ", got " + slot);
        }
        return bitmapOffset + slot * bitmapSlotBytes;
    }

    static long roundUp(long value, long unit) {
        return Math.ceilDiv(value, unit) * unit;
    }
}
