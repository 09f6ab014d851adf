package brmr.rmr.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The lock-free chunk bitmap behind the client's dirty view and its unflushed chunks. */
class ChunkBitsTest {
    /** Three segments of 65536 chunks, the last holding one. */
    private static final long CAPACITY = 2 * 65536 + 1;

    @Test
    void rangesAcrossWordsAndSegmentsAreSetAndFoundExactly() {
        ChunkBits bits = new ChunkBits(CAPACITY);
        bits.set(60, 70);
        bits.set(65530, 65540);
        bits.set(CAPACITY - 1, CAPACITY - 1);
        assertFalse(bits.anySet(0, 59));
        assertTrue(bits.anySet(0, 60));
        assertTrue(bits.anySet(70, 70));
        assertFalse(bits.anySet(71, 65529));
        assertTrue(bits.anySet(65536, 65536), "the second segment holds the tail of the range");
        assertFalse(bits.anySet(65541, CAPACITY - 2));
        assertTrue(bits.anySet(CAPACITY - 1, CAPACITY - 1));
        assertEquals(11 + 11 + 1, bits.count());
        assertThrows(IndexOutOfBoundsException.class, () -> bits.set(CAPACITY - 1, CAPACITY));
        assertThrows(IndexOutOfBoundsException.class, () -> bits.anySet(-1, 3));
    }

    @Test
    void takeClearsWhatItReturnsAndSetAllPutsItBack() {
        ChunkBits bits = new ChunkBits(CAPACITY);
        bits.set(3, 5);
        bits.set(70000, 70000);
        BitSet taken = bits.take();
        assertEquals(List.of(3, 4, 5, 70000), taken.stream().boxed().toList());
        assertEquals(0, bits.count(), "taken bits are gone");
        assertTrue(bits.take().isEmpty());
        bits.setAll(taken);
        assertEquals(taken, bits.take());
    }

    @Test
    void assignReplacesTheBitsAndDropsThoseBeyondTheCapacity() {
        ChunkBits bits = new ChunkBits(70);
        bits.set(1, 1);
        bits.assign(new long[] {0b100, -1L, 7});
        assertArrayEquals(new long[] {0b100, (1L << 6) - 1}, bits.words());
        assertFalse(bits.anySet(1, 1), "chunk 1 was replaced");
        assertEquals(7, bits.count());
        bits.assign(new long[0]);
        assertEquals(0, bits.count());
    }

    /** Every bit set while other threads take is either taken once or still there: none is lost or doubled. */
    @Test
    void bitsSetWhileOthersTakeAreNeitherLostNorTakenTwice() throws Exception {
        ChunkBits bits = new ChunkBits(CAPACITY);
        int setters = 4;
        int perSetter = 20_000;
        AtomicBoolean settersDone = new AtomicBoolean();
        ExecutorService threads = Executors.newFixedThreadPool(setters + 2);
        try {
            List<Future<?>> setting = IntStream.range(0, setters).<Future<?>>mapToObj(t -> threads.submit(() -> {
                for (int i = 0; i < perSetter; i++) {
                    long chunk = (long) i * setters + t;
                    bits.set(chunk, chunk);
                }
            })).toList();
            Callable<int[]> taker = () -> {
                int[] takenCount = new int[setters * perSetter];
                while (!settersDone.get()) {
                    bits.take().stream().forEach(chunk -> takenCount[chunk]++);
                }
                return takenCount;
            };
            Future<int[]> taker1 = threads.submit(taker);
            Future<int[]> taker2 = threads.submit(taker);
            for (Future<?> f : setting) {
                f.get(60, TimeUnit.SECONDS);
            }
            settersDone.set(true);
            int[] first = taker1.get(60, TimeUnit.SECONDS);
            int[] second = taker2.get(60, TimeUnit.SECONDS);
            BitSet left = bits.take();
            for (int chunk = 0; chunk < setters * perSetter; chunk++) {
                int seen = first[chunk] + second[chunk] + (left.get(chunk) ? 1 : 0);
                assertEquals(1, seen, "chunk " + chunk + " taken " + seen + " times");
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
