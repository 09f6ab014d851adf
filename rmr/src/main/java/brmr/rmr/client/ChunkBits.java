package brmr.rmr.client;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A lock-free set of chunk numbers below a fixed capacity, for bookkeeping on the IO path that many
 * threads update and read at once. Each word is updated atomically; a reader of a range sees every
 * bit set before it began, but no atomic view of several words. Memory is taken in segments, on the
 * first bit set in each, so a large capacity costs only what is used.
 */
final class ChunkBits {
    private static final int SEGMENT_WORDS_SHIFT = 10;
    private static final int SEGMENT_WORDS = 1 << SEGMENT_WORDS_SHIFT;

    private final long capacity;
    /** Each segment is created once, by compare-and-set; a null segment holds no bit. */
    private final AtomicReferenceArray<AtomicLongArray> segments;

    /** @param capacity chunks 0..capacity-1 may be set */
    ChunkBits(long capacity) {
        this.capacity = capacity;
        long words = (capacity + 63) >>> 6;
        this.segments = new AtomicReferenceArray<>(Math.toIntExact((words + SEGMENT_WORDS - 1) >>> SEGMENT_WORDS_SHIFT));
    }

    long capacity() {
        return capacity;
    }

    /** Sets chunks {@code first..last} (inclusive). */
    void set(long first, long last) {
        check(first, last);
        for (long word = first >>> 6; word <= last >>> 6; word++) {
            long bits = mask(word, first, last);
            AtomicLongArray segment = segment(word, true);
            int index = (int) (word & (SEGMENT_WORDS - 1));
            // a bit already set costs a read only, so hot chunks keep their cache line shared
            if ((segment.get(index) & bits) != bits) {
                segment.getAndAccumulate(index, bits, (a, b) -> a | b);
            }
        }
    }

    /** Whether any of chunks {@code first..last} (inclusive) is set. */
    boolean anySet(long first, long last) {
        check(first, last);
        for (long word = first >>> 6; word <= last >>> 6; word++) {
            AtomicLongArray segment = segment(word, false);
            if (segment != null && (segment.get((int) (word & (SEGMENT_WORDS - 1))) & mask(word, first, last)) != 0) {
                return true;
            }
        }
        return false;
    }

    /** Sets the bits to {@code words} (64 chunks a word, chunk 0 lowest); bits beyond them or the capacity are cleared. */
    void assign(long[] words) {
        long count = (capacity + 63) >>> 6;
        for (long word = 0; word < count; word++) {
            long value = word < words.length ? words[(int) word] & mask(word, 0, capacity - 1) : 0;
            AtomicLongArray segment = segment(word, value != 0);
            if (segment != null) {
                segment.set((int) (word & (SEGMENT_WORDS - 1)), value);
            }
        }
    }

    /** The set chunks, clearing each word as it is read: a bit set meanwhile is either taken or stays. */
    BitSet take() {
        BitSet taken = new BitSet();
        for (int s = 0; s < segments.length(); s++) {
            AtomicLongArray segment = segments.get(s);
            for (int i = 0; segment != null && i < SEGMENT_WORDS; i++) {
                if (segment.get(i) != 0) {
                    orInto(taken, ((long) s << SEGMENT_WORDS_SHIFT) + i, segment.getAndSet(i, 0));
                }
            }
        }
        return taken;
    }

    /** Sets every chunk of {@code chunks}. */
    void setAll(BitSet chunks) {
        for (int from = chunks.nextSetBit(0); from >= 0; from = chunks.nextSetBit(chunks.nextClearBit(from))) {
            set(from, chunks.nextClearBit(from) - 1L);
        }
    }

    /** A copy of the bits, 64 chunks a word, chunk 0 lowest. */
    long[] words() {
        long[] words = new long[Math.toIntExact((capacity + 63) >>> 6)];
        for (int word = 0; word < words.length; word++) {
            AtomicLongArray segment = segment(word, false);
            words[word] = segment == null ? 0 : segment.get(word & (SEGMENT_WORDS - 1));
        }
        return words;
    }

    long count() {
        long count = 0;
        for (int s = 0; s < segments.length(); s++) {
            AtomicLongArray segment = segments.get(s);
            for (int i = 0; segment != null && i < SEGMENT_WORDS; i++) {
                count += Long.bitCount(segment.get(i));
            }
        }
        return count;
    }

    private AtomicLongArray segment(long word, boolean create) {
        int s = (int) (word >>> SEGMENT_WORDS_SHIFT);
        AtomicLongArray segment = segments.get(s);
        if (segment == null && create) {
            segments.compareAndSet(s, null, new AtomicLongArray(SEGMENT_WORDS));
            segment = segments.get(s);
        }
        return segment;
    }

    /** The bits of {@code word} that lie in {@code first..last}. */
    private static long mask(long word, long first, long last) {
        long low = word == first >>> 6 ? -1L << (first & 63) : -1L;
        long high = word == last >>> 6 ? -1L >>> (63 - (last & 63)) : -1L;
        return low & high;
    }

    private static void orInto(BitSet target, long word, long bits) {
        for (long rest = bits; rest != 0; rest &= rest - 1) {
            target.set(Math.toIntExact((word << 6) + Long.numberOfTrailingZeros(rest)));
        }
    }

    private void check(long first, long last) {
        if (first < 0 || last < first || last >= capacity) {
            throw new IndexOutOfBoundsException("chunks " + first + ".." + last + " outside 0.." + (capacity - 1));
        }
    }
}
