package brmr.rmr.client;

import static brmr.rmr.client.FakeNode.CHUNK;
import static brmr.rmr.client.FakeNode.CHUNKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Message;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How reads are spread over the legs in service, and which legs they avoid, against in-process nodes. */
class ReadSpreadTest {
    private static final UUID CLIENT = UUID.fromString("00000000-0000-4000-8000-000000000002");

    private final TwoNodes nodes = new TwoNodes();
    private final FakeNode node1 = nodes.node1;
    private final FakeNode node2 = nodes.node2;

    @AfterEach
    void close() {
        nodes.close();
    }

    private static long reads(FakeNode node) {
        return node.events().stream().filter(e -> e.startsWith("Read")).count();
    }

    private static byte[] pattern(int seed) {
        byte[] bytes = new byte[CHUNK];
        Arrays.fill(bytes, (byte) seed);
        return bytes;
    }

    @Test
    void twoCleanLegsTakeTurnsOnSequentialReads() throws Exception {
        ClientPool pool = nodes.enabledPool(CLIENT);
        byte[] buffer = new byte[512];
        for (long offset = 0; offset < 100 * 512; offset += 512) {
            pool.read(offset, MemorySegment.ofArray(buffer));
        }
        assertEquals(50, reads(node1), node1.events().toString());
        assertEquals(50, reads(node2), node2.events().toString());
    }

    @Test
    void aLegThatFailedAReadTakesNoFurtherReads() throws Exception {
        ClientPool pool = nodes.enabledPool(CLIENT);
        byte[] data = pattern(7);
        pool.write(2L * CHUNK, MemorySegment.ofArray(data));
        node2.failReads(Message.Status.IO_ERROR);
        node2.refuseJoins("store failed");
        for (int i = 0; i < 10; i++) {
            byte[] read = new byte[CHUNK];
            pool.read(2L * CHUNK, MemorySegment.ofArray(read));
            assertArrayEquals(data, read, "read " + i + " is served by the other leg");
        }
        assertEquals(1, reads(node2), "only the read that failed went to node 2: " + node2.events());
        assertEquals(10, reads(node1), "node 1 served every read, the failed one included");
    }

    /**
     * Writers whose writes node 2 misses (it answers DIRTY, so it stays in service) read their chunks
     * back at once, while other threads read chunks clean on both: the dirty chunks are never read from
     * node 2, which would return its stale zeroes; the clean ones are spread over both legs.
     */
    @Test
    void concurrentReadsNeverPickALegThatLacksTheChunk() throws Exception {
        ClientPool pool = nodes.enabledPool(CLIENT);
        int writers = 8;
        for (long chunk = 0; chunk < writers; chunk++) {
            node2.markDirty(2, chunk);   // what a real node records when it answers a write with DIRTY
        }
        node2.failWrites(Message.Status.DIRTY);
        ExecutorService threads = Executors.newFixedThreadPool(writers + 2);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                long chunk = w;
                running.add(threads.submit(() -> {
                    byte[] data = pattern(1 + (int) chunk);
                    pool.write(chunk * CHUNK, MemorySegment.ofArray(data));
                    for (int i = 0; i < 50; i++) {
                        byte[] read = new byte[CHUNK];
                        pool.read(chunk * CHUNK, MemorySegment.ofArray(read));
                        assertArrayEquals(data, read, "chunk " + chunk + " read back " + i);
                    }
                    return null;
                }));
            }
            for (int r = 0; r < 2; r++) {
                running.add(threads.submit(() -> {
                    byte[] read = new byte[CHUNK];
                    for (int i = 0; i < 200; i++) {
                        pool.read((writers + i % (CHUNKS - writers)) * CHUNK, MemorySegment.ofArray(read));
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        Set<String> dirtyReads = LongStream.range(0, writers).mapToObj(c -> "Read " + c * CHUNK + "+" + CHUNK)
                .collect(Collectors.toSet());
        assertTrue(node2.events().stream().noneMatch(dirtyReads::contains), node2.events().toString());
        assertTrue(reads(node2) > 0, "the clean chunks are read from node 2 as well");
        assertEquals(SessionState.NORMAL, nodes.state("s2"), "a leg that lacks chunks stays in service");
    }
}
