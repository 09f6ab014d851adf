package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.StoreParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The active-chunks record under writes that take no lock for chunks already active, and resolves racing them. */
class ActiveChunksTest {
    private static final int CHUNK = 4096;
    /** 512 chunks of 4 KiB. */
    private static final StoreParams PARAMS = new StoreParams("p1", 1, 4096, CHUNK, 512, true, null);

    private final MemoryPoolStore store = new MemoryPoolStore(PARAMS);

    private ActiveChunks active() throws Exception {
        return new ActiveChunks(new StoreAccess("p1", 1, store, failed -> { }));
    }

    @Test
    void anActiveChunkCostsNoPersistAndAResolveKeepsOnlyTheTouchedOnes() throws Exception {
        ActiveChunks active = active();
        active.activate(3, 4);
        active.activate(9, 9);
        assertEquals(2, store.activePersists());
        active.activate(4, 4);
        active.activate(3, 3);
        assertEquals(2, store.activePersists(), "chunks already active are not persisted again");
        assertEquals(0, active.resolve(), "every chunk was written since the start");
        active.activate(9, 9);
        assertEquals(2, active.resolve(), "chunks 3 and 4 went cold");
        assertArrayEquals(new long[] {9}, store.activeChunks());
        assertArrayEquals(new long[] {9}, active.chunks());
        active.activate(3, 3);
        assertArrayEquals(new long[] {3, 9}, store.activeChunks(), "a cold chunk written again is persisted again");
    }

    /**
     * Rounds of writers activating hot and cold chunks, with one resolve racing them per round: every
     * chunk a writer activated is in the persisted record as soon as activate returns and still after the
     * round's resolve, since the client resolves only with no write in flight but a node must not rely on it.
     */
    @Test
    void aResolveRacingWritesNeverForgetsAChunkTheyActivated() throws Exception {
        ActiveChunks active = active();
        int writers = 4;
        ExecutorService threads = Executors.newFixedThreadPool(writers + 1);
        try {
            for (int round = 0; round < 200; round++) {
                active.resolve();
                active.resolve();
                BitSet activated = new BitSet();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<BitSet>> running = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    running.add(threads.submit(() -> {
                        BitSet mine = new BitSet();
                        start.await();
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        for (int i = 0; i < 50; i++) {
                            // mostly a few hot chunks (the lock-free path), sometimes a cold one
                            long chunk = random.nextInt(10) < 8 ? random.nextInt(8) : random.nextInt(512);
                            active.activate(chunk, chunk);
                            assertTrue(Arrays.stream(store.activeChunks()).anyMatch(c -> c == chunk),
                                    "chunk " + chunk + " is not in the persisted record after activate");
                            mine.set((int) chunk);
                        }
                        return mine;
                    }));
                }
                Future<Long> resolve = threads.submit(() -> {
                    start.await();
                    return active.resolve();
                });
                start.countDown();
                for (Future<BitSet> writer : running) {
                    activated.or(writer.get(60, TimeUnit.SECONDS));
                }
                resolve.get(60, TimeUnit.SECONDS);
                BitSet persisted = new BitSet();
                Arrays.stream(store.activeChunks()).forEach(c -> persisted.set((int) c));
                BitSet lost = (BitSet) activated.clone();
                lost.andNot(persisted);
                assertTrue(lost.isEmpty(), "round " + round + ": chunks " + lost + " were forgotten");
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
