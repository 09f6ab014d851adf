package brmr.metadata;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The format of one bitmap slot (versioned with the header's format version): bit c of the slot
 * is bit (c % 8) of byte (c / 8), so the slot is its {@code long[]} words (bit c in word c / 64,
 * bit c % 64) stored as little-endian longs. Bits at or beyond chunkCount are zero on disk and
 * ignored on reading. Converts whole 4096-byte blocks of a slot.
 */
public final class BitmapCodec {
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private BitmapCodec() {
    }

    /** The number of words that hold {@code chunkCount} bits. */
    public static int wordCount(long chunkCount) {
        return Math.toIntExact(Math.ceilDiv(chunkCount, Long.SIZE));
    }

    /**
     * Fills {@code dst} with the slot bytes that start at {@code slotByteOffset}; words missing at
     * the end of {@code words} count as zero (as {@code BitSet.toLongArray} leaves them out).
     */
    public static void encode(long[] words, long chunkCount, long slotByteOffset, MemorySegment dst) {
        checkBlocks(slotByteOffset, dst);
        long firstWord = slotByteOffset / Long.BYTES;
        long wordsInDst = dst.byteSize() / Long.BYTES;
        long available = Math.clamp(Math.min(words.length, wordCount(chunkCount)) - firstWord, 0, wordsInDst);
        if (available > 0) {
            MemorySegment.copy(words, (int) firstWord, dst, LONG, 0, (int) available);
        }
        dst.asSlice(available * Long.BYTES).fill((byte) 0);
        long lastWord = chunkCount / Long.SIZE;
        if (chunkCount % Long.SIZE != 0 && lastWord >= firstWord && lastWord < firstWord + available) {
            long at = (lastWord - firstWord) * Long.BYTES;
            dst.set(LONG, at, dst.get(LONG, at) & tailMask(chunkCount));
        }
    }

    /** Sets the words covered by the slot bytes in {@code src}, which start at {@code slotByteOffset}. */
    public static void decode(MemorySegment src, long slotByteOffset, long chunkCount, long[] words) {
        checkBlocks(slotByteOffset, src);
        long firstWord = slotByteOffset / Long.BYTES;
        long count = Math.clamp(wordCount(chunkCount) - firstWord, 0, src.byteSize() / Long.BYTES);
        if (firstWord + count > words.length) {
            throw new IllegalArgumentException("words holds " + words.length + " words, the range needs "
                    + (firstWord + count));
        }
        if (count > 0) {
            MemorySegment.copy(src, LONG, 0, words, (int) firstWord, (int) count);
        }
        long lastWord = chunkCount / Long.SIZE;
        if (chunkCount % Long.SIZE != 0 && lastWord >= firstWord && lastWord < firstWord + count) {
            words[(int) lastWord] &= tailMask(chunkCount);
        }
    }

    private static long tailMask(long chunkCount) {
        return (1L << (chunkCount % Long.SIZE)) - 1;
    }

    private static void checkBlocks(long slotByteOffset, MemorySegment bytes) {
        if (slotByteOffset < 0 || slotByteOffset % MetadataLayout.BLOCK_BYTES != 0
                || bytes.byteSize() % MetadataLayout.BLOCK_BYTES != 0) {
            throw new IllegalArgumentException("bitmap bytes must cover whole " + MetadataLayout.BLOCK_BYTES
                    + "-byte blocks, got offset " + slotByteOffset + " length " + bytes.byteSize());
        }
    }
}
