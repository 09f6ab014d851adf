package brmr.rmr.map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DirtyMapTest {
    @Test
    void marksClearsAndCountsChunks() {
        DirtyMap map = new DirtyMap(2, 130);
        assertTrue(map.mark(0));
        assertTrue(map.mark(64));
        assertTrue(map.mark(129));
        assertFalse(map.mark(64), "already dirty");
        assertEquals(3, map.dirtyCount());
        assertArrayEquals(new long[] {0, 64, 129}, map.dirtyChunks());
        assertTrue(map.clear(64));
        assertFalse(map.clear(64), "already clean");
        assertFalse(map.isDirty(64));
        assertTrue(map.isDirty(129));
        assertEquals(2, map.dirtyCount());
    }

    @Test
    void nextDirtyWalksAcrossWords() {
        DirtyMap map = new DirtyMap(1, 300);
        map.mark(5);
        map.mark(200);
        assertEquals(5, map.nextDirty(0));
        assertEquals(5, map.nextDirty(5));
        assertEquals(200, map.nextDirty(6));
        assertEquals(-1, map.nextDirty(201));
        assertEquals(-1, map.nextDirty(300));
    }

    @Test
    void restoredMapIgnoresBitsBeyondTheLastChunk() {
        DirtyMap map = new DirtyMap(1, 70, new long[] {1L, -1L});
        assertEquals(1 + 6, map.dirtyCount());
        assertEquals(-1, map.nextDirty(70));
        assertEquals(0x3FL, map.words()[1]);
    }

    @Test
    void refusesChunksOutsideTheMap() {
        DirtyMap map = new DirtyMap(1, 10);
        assertThrows(IndexOutOfBoundsException.class, () -> map.mark(10));
        assertThrows(IndexOutOfBoundsException.class, () -> map.isDirty(-1));
    }

    @Test
    void summaryListsEveryChunkAsUpstreamDoes() {
        DirtyMap one = new DirtyMap(42, 800);
        DirtyMap two = new DirtyMap(43, 800);
        for (long chunk : new long[] {12, 28, 29, 30, 799}) {
            two.mark(chunk);
        }
        assertEquals("member 42: [] 0/800 dirty\nmember 43: [12 28 29 30 799] 5/800 dirty\n",
                MapSummary.format(java.util.List.of(one, two)));
        DirtyMap small = new DirtyMap(2, 70);
        small.mark(0);
        small.mark(65);
        assertEquals("member 2: 0000000000000001 0000000000000002\n", MapSummary.bits(java.util.List.of(small)));
    }
}
