package brmr.rmr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IoStatsTest {
    private static long millis(double ms) {
        return Math.round(ms * TimeUnit.MILLISECONDS.toNanos(1));
    }

    @Test
    void bucketsAreCumulativeAndTheCountHoldsWhatLiesAboveEveryBound() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(millis(0.05));
        histogram.record(millis(0.1));
        histogram.record(millis(3));
        histogram.record(millis(20_000));
        LatencyHistogram.Snapshot snapshot = histogram.snapshot();
        assertEquals(0.0001, snapshot.bounds()[0]);
        assertEquals(10, snapshot.bounds()[snapshot.bounds().length - 1]);
        // 0.05 ms and exactly 0.1 ms fall at or under the first bound; 3 ms first counts under 5 ms
        assertArrayEquals(new long[] {2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, snapshot.cumulative());
        assertEquals(4, snapshot.count());
        assertEquals(20.00315, snapshot.sumSeconds(), 1e-9);
    }

    @Test
    void aFailedOperationCountsAsAnErrorAndItsBytesDoNot() throws Exception {
        IoStats stats = new IoStats();
        assertEquals("done", stats.time(IoOp.WRITE, 4096, () -> "done"));
        assertThrows(IOException.class, () -> stats.time(IoOp.WRITE, 512, () -> {
            throw new IOException("EIO");
        }));
        stats.record(IoOp.READ, 8192, millis(1), true);
        assertEquals(2, stats.operations(IoOp.WRITE));
        assertEquals(4096, stats.bytes(IoOp.WRITE));
        assertEquals(1, stats.errors(IoOp.WRITE));
        assertEquals(2, stats.latency(IoOp.WRITE).count());
        assertEquals(1, stats.operations(IoOp.READ));
        assertEquals(8192, stats.bytes(IoOp.READ));
        assertEquals(0, stats.operations(IoOp.FLUSH));
    }
}
