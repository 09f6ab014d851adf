package brmr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IoBuffersTest {
    @Test
    void sizeClassesArePowersOfTwoFromOnePage() {
        assertEquals(12, IoBuffers.sizeClass(0));
        assertEquals(12, IoBuffers.sizeClass(1));
        assertEquals(12, IoBuffers.sizeClass(4096));
        assertEquals(13, IoBuffers.sizeClass(4097));
        assertEquals(17, IoBuffers.sizeClass(131072));
        assertEquals(20, IoBuffers.sizeClass(1 << 20));
        assertEquals(30, IoBuffers.sizeClass(1 << 30));
    }

    @Test
    void buffersAreAlignedNativeAndExactlyAsLongAsAsked() {
        IoBuffers pool = new IoBuffers(1 << 20);
        try (IoBuffer buffer = pool.take(5000)) {
            MemorySegment segment = buffer.segment();
            assertEquals(5000, segment.byteSize());
            assertTrue(segment.isNative());
            assertEquals(0, segment.address() % Disk.BUFFER_ALIGNMENT);
        }
    }

    @Test
    void aClosedBufferIsReusedAndClosingTwiceGivesItBackOnce() {
        IoBuffers pool = new IoBuffers(1 << 20);
        IoBuffer first = pool.take(4096);
        long address = first.segment().address();
        first.close();
        first.close();
        assertEquals(1, pool.idleBuffers());
        IoBuffer second = pool.take(100);
        IoBuffer third = pool.take(100);
        assertEquals(address, second.segment().address());
        assertNotEquals(address, third.segment().address());
        second.close();
        third.close();
        assertEquals(2, pool.idleBuffers());
        assertEquals(8192, pool.retainedBytes());
    }

    @Test
    void aClassKeepsAtMostAQuarterOfThePoolAndBeyondThatBuffersAreNotKept() {
        IoBuffers pool = new IoBuffers(16 * 4096);
        List<IoBuffer> taken = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            taken.add(pool.take(4096));
        }
        assertEquals(4 * 4096, pool.retainedBytes());
        taken.forEach(IoBuffer::close);
        assertEquals(4, pool.idleBuffers());
        try (IoBuffer other = pool.take(8192)) {
            assertEquals(4 * 4096 + 8192, pool.retainedBytes(), "another class still gets its share");
        }
    }

    @Test
    void thePoolNeverHoldsMoreThanItsBound() {
        IoBuffers pool = new IoBuffers(3 * 8192);
        List<IoBuffer> taken = new ArrayList<>();
        for (int size = 4096; size <= 16384; size *= 2) {
            taken.add(pool.take(size));
            taken.add(pool.take(size));
        }
        assertTrue(pool.retainedBytes() <= 3 * 8192, () -> "retained " + pool.retainedBytes());
        taken.forEach(IoBuffer::close);
        assertTrue(pool.retainedBytes() <= 3 * 8192, () -> "retained " + pool.retainedBytes());
    }

    @Test
    void buffersAboveTheLargestKeptClassAreNeverKept() {
        IoBuffers pool = new IoBuffers(1L << 30);
        pool.take(IoBuffers.MAX_RETAINED_CLASS_BYTES + 1).close();
        assertEquals(0, pool.retainedBytes());
        assertEquals(0, pool.idleBuffers());
        pool.take(IoBuffers.MAX_RETAINED_CLASS_BYTES).close();
        assertEquals(IoBuffers.MAX_RETAINED_CLASS_BYTES, pool.retainedBytes());
    }

    @Test
    void aBufferTakenAgainHasItsOwnSliceOfTheWholeClass() {
        IoBuffers pool = new IoBuffers(1 << 20);
        IoBuffer big = pool.take(8192);
        MemorySegment whole = big.segment();
        big.close();
        try (IoBuffer small = pool.take(4097)) {
            assertEquals(whole.address(), small.segment().address());
            assertEquals(4097, small.segment().byteSize());
        }
    }

    @Test
    void refusesNegativeAndHugeLengths() {
        IoBuffers pool = new IoBuffers(0);
        assertThrows(IllegalArgumentException.class, () -> pool.take(-1));
        assertThrows(IllegalArgumentException.class, () -> pool.take((1 << 30) + 1));
        assertThrows(IllegalArgumentException.class, () -> new IoBuffers(-1));
    }
}
