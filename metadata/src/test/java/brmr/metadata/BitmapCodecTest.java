package brmr.metadata;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BitmapCodecTest {
    @Test
    void bitCIsBitCMod8OfByteCDiv8() {
        BitSet bits = new BitSet();
        for (int c : new int[] {0, 9, 63, 64, 130, 199}) {
            bits.set(c);
        }
        byte[] bytes = new byte[4096];
        BitmapCodec.encode(bits.toLongArray(), 200, 0, MemorySegment.ofArray(bytes));
        byte[] expected = new byte[4096];
        expected[0] = 1;
        expected[1] = 2;
        expected[7] = (byte) 0x80;
        expected[8] = 1;
        expected[16] = 4;
        expected[24] = (byte) 0x80;
        assertArrayEquals(expected, bytes);
        assertEquals(bits, BitSet.valueOf(bytes));
    }

    @Test
    void wordsRoundTripThroughSeveralBlocks() {
        long chunkCount = 100_000;
        long[] words = new Random(3).longs(BitmapCodec.wordCount(chunkCount)).toArray();
        words[words.length - 1] &= (1L << (chunkCount % 64)) - 1;
        MemorySegment bytes = MemorySegment.ofArray(new byte[4 * 4096]);
        BitmapCodec.encode(words, chunkCount, 0, bytes);
        long[] back = new long[words.length];
        BitmapCodec.decode(bytes, 0, chunkCount, back);
        assertArrayEquals(words, back);
    }

    @Test
    void bitsAtOrBeyondChunkCountAreNeitherWrittenNorRead() {
        long[] allSet = {-1L, -1L, -1L};
        byte[] bytes = new byte[4096];
        BitmapCodec.encode(allSet, 70, 0, MemorySegment.ofArray(bytes));
        byte[] expected = new byte[4096];
        Arrays.fill(expected, 0, 8, (byte) 0xff);
        expected[8] = 0x3f;
        assertArrayEquals(expected, bytes);

        byte[] garbage = new byte[4096];
        Arrays.fill(garbage, (byte) 0xff);
        long[] words = new long[BitmapCodec.wordCount(70)];
        BitmapCodec.decode(MemorySegment.ofArray(garbage), 0, 70, words);
        assertArrayEquals(new long[] {-1L, 0x3fL}, words);
    }

    @Test
    void aBlockRangeConvertsOnlyItsOwnWords() {
        long chunkCount = 3 * 4096 * 8;
        long[] words = new long[BitmapCodec.wordCount(chunkCount)];
        Arrays.fill(words, 0x0123456789abcdefL);
        MemorySegment middle = MemorySegment.ofArray(new byte[4096]);
        BitmapCodec.encode(words, chunkCount, 4096, middle);

        long[] decoded = new long[words.length];
        Arrays.fill(decoded, 7);
        BitmapCodec.decode(middle, 4096, chunkCount, decoded);
        for (int i = 0; i < decoded.length; i++) {
            assertEquals(i >= 512 && i < 1024 ? 0x0123456789abcdefL : 7, decoded[i], "word " + i);
        }
    }

    @Test
    void missingTrailingWordsCountAsZero() {
        BitSet bits = new BitSet();
        bits.set(5);
        byte[] bytes = new byte[8192];
        Arrays.fill(bytes, (byte) 0x11);
        BitmapCodec.encode(bits.toLongArray(), 40_000, 0, MemorySegment.ofArray(bytes));
        byte[] expected = new byte[8192];
        expected[0] = 0x20;
        assertArrayEquals(expected, bytes);
        assertEquals(625, BitmapCodec.wordCount(40_000));
        assertEquals(626, BitmapCodec.wordCount(40_001));
    }

    @Test
    void unalignedRangesAndShortWordArraysAreRefused() {
        long[] words = new long[1024];
        assertThrows(IllegalArgumentException.class,
                () -> BitmapCodec.encode(words, 65536, 512, MemorySegment.ofArray(new byte[4096])));
        assertThrows(IllegalArgumentException.class,
                () -> BitmapCodec.encode(words, 65536, 0, MemorySegment.ofArray(new byte[4000])));
        assertThrows(IllegalArgumentException.class,
                () -> BitmapCodec.decode(MemorySegment.ofArray(new byte[8192]), 0, 65536, new long[10]));
    }
}
