package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.StoreParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The active-chunks record under writes that take no lock for chunks already active, and resolves racing them. */
class ActiveChunksTest {
    private static final int CHUNK = 4096;
    /** 512 chunks of 4 KiB. */
    private static final StoreParams PARAMS = new StoreParams("p1", 1, 4096, CHUNK, 512, true, null);
    /** 65536 chunks of 512 bytes: a resolve walks 1024 words, so a write may well land while it does. */
    private static final StoreParams MANY_CHUNKS = new StoreParams("p1", 1, 65536, 512, 512, true, null);

    private MemoryPoolStore store = new MemoryPoolStore(PARAMS);

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
     * Rounds of writers activating chunks that are durably active but not written since the last
     * resolve, with a resolve racing them: every chunk a writer activated is still in the persisted
     * record after that resolve (the client resolves only with no write in flight, but a node must not
     * rely on it). The resolve walks 1024 words, so writes land while it does.
     */
    @Test
    void aResolveRacingWritesNeverForgetsAChunkTheyActivated() throws Exception {
        store = new MemoryPoolStore(MANY_CHUNKS);
        ActiveChunks active = active();
        int writers = 3;
        int hot = 4096;
        ExecutorService threads = Executors.newFixedThreadPool(writers);
        try {
            for (int round = 0; round < 100; round++) {
                active.activate(0, hot - 1);
                active.resolve();
                AtomicBoolean resolved = new AtomicBoolean();
                AtomicLong writes = new AtomicLong();
                List<Future<BitSet>> running = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    running.add(threads.submit(() -> {
                        BitSet mine = new BitSet();
                        ThreadLocalRandom random = ThreadLocalRandom.current();
                        while (!resolved.get()) {
                            long chunk = random.nextInt(hot);
                            active.activate(chunk, chunk);
                            mine.set((int) chunk);
                            writes.incrementAndGet();
                        }
                        return mine;
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (writes.get() < 100) {
                    assertTrue(System.nanoTime() < deadline, "the writers never started");
                    Thread.onSpinWait();
                }
                active.resolve();
                resolved.set(true);
                BitSet activated = new BitSet();
                for (Future<BitSet> writer : running) {
                    activated.or(writer.get(60, TimeUnit.SECONDS));
                }
                BitSet persisted = new BitSet();
                Arrays.stream(store.activeChunks()).forEach(c -> persisted.set((int) c));
                BitSet lost = (BitSet) activated.clone();
                lost.andNot(persisted);
                assertTrue(lost.isEmpty(), "round " + round + ": " + lost.cardinality() + " chunk(s) were forgotten, "
                        + "the first " + lost.nextSetBit(0));
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
