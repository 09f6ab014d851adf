package brmr.rmr.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client's view of what each member lacks, read by every IO without a lock. */
class KnownDirtyTest {
    private static final long CHUNKS = 4096;

    @Test
    void marksBeforeTheChunkCountIsKnownAreIgnoredAndMembersAppearWithTheirFirstMark() {
        KnownDirty known = new KnownDirty();
        known.mark(List.of(1), 0, 3);
        assertEquals(Set.of(), known.members());
        known.chunkCount(CHUNKS);
        known.mark(List.of(2, 1), 5, 6);
        assertEquals(Set.of(1, 2), known.members());
        assertFalse(known.holdsClean(1, 0, 5));
        assertTrue(known.holdsClean(1, 0, 4));
        assertTrue(known.holdsClean(1, 7, CHUNKS + 10), "chunks past the end are not the member's");
        assertTrue(known.holdsClean(3, 0, CHUNKS - 1), "a member never marked lacks nothing the client knows of");
        assertEquals(Map.of(1, 2L, 2, 2L), known.dirtyCounts());
        assertEquals("member 1: [5 6] 2/4096 dirty\nmember 2: [5 6] 2/4096 dirty\n", known.summary());
    }

    @Test
    void learnTakesOverALegsMapsReplacingWhatTheClientBelieved() {
        KnownDirty known = new KnownDirty();
        known.chunkCount(CHUNKS);
        known.mark(List.of(2), 0, 0);
        known.learn(new Message.Maps(CHUNKS, List.of(new Message.MemberMap(2, new long[] {0b1000}),
                new Message.MemberMap(3, new long[] {1}))));
        assertTrue(known.holdsClean(2, 0, 0), "the leg's map replaces the client's belief");
        assertFalse(known.holdsClean(2, 3, 3));
        assertFalse(known.holdsClean(3, 0, 0));
        assertEquals(Set.of(2, 3), known.members());
    }

    /**
     * Many threads mark (adding members as they go) while others read: once a mark has returned, no
     * reader finds the member clean for that chunk, so a read never picks a leg that lacks it.
     */
    @Test
    void aChunkMarkedIsDirtyForEveryReaderAtOnce() throws Exception {
        KnownDirty known = new KnownDirty();
        known.chunkCount(CHUNKS);
        int markers = 4;
        int readers = 3;
        record Marked(int member, long chunk) {
        }
        ConcurrentLinkedQueue<Marked> published = new ConcurrentLinkedQueue<>();
        AtomicBoolean marking = new AtomicBoolean(true);
        AtomicInteger checked = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(markers + readers);
        try {
            List<Future<?>> markersDone = new ArrayList<>();
            for (int t = 0; t < markers; t++) {
                int member = 10 + t;
                int offset = t;
                markersDone.add(threads.submit(() -> {
                    for (long chunk = offset; chunk < CHUNKS; chunk += markers) {
                        known.mark(List.of(member, 99), chunk, chunk);
                        published.add(new Marked(member, chunk));
                        published.add(new Marked(99, chunk));
                    }
                }));
            }
            List<Future<?>> readersDone = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                readersDone.add(threads.submit(() -> {
                    while (marking.get() || !published.isEmpty()) {
                        Marked marked = published.poll();
                        if (marked != null) {
                            assertFalse(known.holdsClean(marked.member(), marked.chunk(), marked.chunk()),
                                    marked + " was found clean after its mark returned");
                            assertFalse(known.holdsClean(marked.member(), Math.max(0, marked.chunk() - 70),
                                    marked.chunk()), marked + " inside a range");
                            checked.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : markersDone) {
                f.get(60, TimeUnit.SECONDS);
            }
            marking.set(false);
            for (Future<?> f : readersDone) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(2 * CHUNKS, checked.get());
        assertEquals(Set.of(10, 11, 12, 13, 99), known.members());
        assertEquals(CHUNKS, known.dirtyCounts().get(99));
        assertEquals(CHUNKS / markers, known.dirtyCounts().get(10));
    }
}
