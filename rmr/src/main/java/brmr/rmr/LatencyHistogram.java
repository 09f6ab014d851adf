package brmr.rmr;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long operations took, counted into fixed buckets (100 µs to 10 s) without a lock: each
 * record is one increment of its bucket and one add to the sum.
 */
public final class LatencyHistogram {
    /** Upper bounds of the buckets in seconds; a last bucket takes everything above. */
    static final double[] BOUNDS_SECONDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10};
    private static final long[] BOUNDS_NANOS = new long[BOUNDS_SECONDS.length];

    static {
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) {
            BOUNDS_NANOS[i] = Math.round(BOUNDS_SECONDS[i] * TimeUnit.SECONDS.toNanos(1));
        }
    }

    /**
     * Per bucket (not cumulative): operations whose duration fell into it; the last is above every bound.
     * Adders rather than one atomic array: legs completing at once mostly hit the same bucket.
     */
    private final LongAdder[] buckets = new LongAdder[BOUNDS_SECONDS.length + 1];
    private final LongAdder sumNanos = new LongAdder();

    /**
     * A reading of the histogram: {@code cumulative[i]} operations took at most {@code bounds[i]}
     * seconds; {@code count} took any time (the {@code +Inf} bucket).
     */
    public record Snapshot(double[] bounds, long[] cumulative, long count, double sumSeconds) {
    }

    public LatencyHistogram() {
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    public void record(long nanos) {
        int bucket = 0;
        while (bucket < BOUNDS_NANOS.length && nanos > BOUNDS_NANOS[bucket]) {
            bucket++;
        }
        buckets[bucket].increment();
        sumNanos.add(nanos);
    }

    /** The buckets summed from the lowest up; a record racing with this may show in the sum and not the count. */
    public Snapshot snapshot() {
        long[] cumulative = new long[BOUNDS_SECONDS.length];
        long running = 0;
        for (int i = 0; i < BOUNDS_SECONDS.length; i++) {
            running += buckets[i].sum();
            cumulative[i] = running;
        }
        long count = running + buckets[BOUNDS_SECONDS.length].sum();
        return new Snapshot(BOUNDS_SECONDS.clone(), cumulative, count, sumNanos.sum() / 1e9);
    }
}
