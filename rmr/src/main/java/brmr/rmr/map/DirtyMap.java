package brmr.rmr.map;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * The chunks one member of a pool is missing: bit c set means the member lacks the current data of chunk c.
 * Changes and multi-word reads hold this; {@link #isDirty} (asked by every IO) reads one word without it.
 */
public final class DirtyMap {
    /** Volatile access to single words: written under this, read by {@link #isDirty} without it. */
    private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(long[].class);

    private final int memberId;
    private final long chunkCount;
    /** Guarded by this for changes; each word is written with volatile semantics. */
    private final long[] words;
    /** Guarded by this. */
    private long dirtyCount;

    public DirtyMap(int memberId, long chunkCount) {
        this(memberId, chunkCount, new long[wordsFor(chunkCount)]);
    }

    /** Restores a map from persisted words; bits beyond {@code chunkCount} are ignored. */
    public DirtyMap(int memberId, long chunkCount, long[] persisted) {
        this.memberId = memberId;
        this.chunkCount = chunkCount;
        this.words = Arrays.copyOf(persisted, wordsFor(chunkCount));
        int tail = (int) (chunkCount & 63);
        if (tail != 0) {
            words[words.length - 1] &= (1L << tail) - 1;
        }
        for (long word : words) {
            dirtyCount += Long.bitCount(word);
        }
    }

    /** Sets the map to {@code newWords}, or adds them to what it has when {@code merge}; returns whether it changed. */
    public synchronized boolean assign(long[] newWords, boolean merge) {
        long[] before = words.clone();
        int tail = (int) (chunkCount & 63);
        for (int i = 0; i < words.length; i++) {
            long given = i < newWords.length ? newWords[i] : 0;
            long word = merge ? words[i] | given : given;
            WORD.setVolatile(words, i, i == words.length - 1 && tail != 0 ? word & ((1L << tail) - 1) : word);
        }
        dirtyCount = 0;
        for (long word : words) {
            dirtyCount += Long.bitCount(word);
        }
        return !Arrays.equals(before, words);
    }

    static int wordsFor(long chunkCount) {
        return Math.toIntExact((chunkCount + 63) >>> 6);
    }

    public int memberId() {
        return memberId;
    }

    public long chunkCount() {
        return chunkCount;
    }

    /** Returns true when the chunk was clean before. */
    public synchronized boolean mark(long chunk) {
        check(chunk);
        int word = (int) (chunk >>> 6);
        long bit = 1L << (chunk & 63);
        if ((words[word] & bit) != 0) {
            return false;
        }
        WORD.setVolatile(words, word, words[word] | bit);
        dirtyCount++;
        return true;
    }

    /** Returns true when the chunk was dirty before. */
    public synchronized boolean clear(long chunk) {
        check(chunk);
        int word = (int) (chunk >>> 6);
        long bit = 1L << (chunk & 63);
        if ((words[word] & bit) == 0) {
            return false;
        }
        WORD.setVolatile(words, word, words[word] & ~bit);
        dirtyCount--;
        return true;
    }

    /** Takes no lock: a mark or clear that returned before is seen. */
    public boolean isDirty(long chunk) {
        check(chunk);
        return ((long) WORD.getVolatile(words, (int) (chunk >>> 6)) & (1L << (chunk & 63))) != 0;
    }

    public synchronized long dirtyCount() {
        return dirtyCount;
    }

    /** The first dirty chunk at or after {@code from}, or -1. */
    public synchronized long nextDirty(long from) {
        if (from >= chunkCount) {
            return -1;
        }
        int word = (int) (from >>> 6);
        long bits = words[word] & (-1L << (from & 63));
        while (true) {
            if (bits != 0) {
                long chunk = ((long) word << 6) + Long.numberOfTrailingZeros(bits);
                return chunk < chunkCount ? chunk : -1;
            }
            if (++word == words.length) {
                return -1;
            }
            bits = words[word];
        }
    }

    /** A copy of the bits, for persisting and for sending to peers. */
    public synchronized long[] words() {
        return words.clone();
    }

    /** The dirty chunk numbers in ascending order. */
    public synchronized long[] dirtyChunks() {
        long[] chunks = new long[Math.toIntExact(dirtyCount)];
        int n = 0;
        for (long c = nextDirty(0); c >= 0; c = nextDirty(c + 1)) {
            chunks[n++] = c;
        }
        return chunks;
    }

    private void check(long chunk) {
        if (chunk < 0 || chunk >= chunkCount) {
            throw new IndexOutOfBoundsException("chunk " + chunk + " outside 0.." + (chunkCount - 1));
        }
    }
}
