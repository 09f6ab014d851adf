package brmr.rmr;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the IO one leg (compute client) or one pool (storage node) served: operations, bytes
 * of those that succeeded, failures and latency, per {@link IoOp}. Lock-free: recorded on the IO
 * path, read by the metrics endpoint.
 */
public final class IoStats {
    /** The counters of one kind of operation. */
    private record Counters(LongAdder operations, LongAdder bytes, LongAdder errors, LatencyHistogram latency) {
        Counters() {
            this(new LongAdder(), new LongAdder(), new LongAdder(), new LatencyHistogram());
        }
    }

    /** Filled once in the constructor, never changed: read without a lock. */
    private final Map<IoOp, Counters> counters = new EnumMap<>(IoOp.class);

    /** An operation whose duration is measured; it succeeded when it returns. */
    @FunctionalInterface
    public interface Timed<T, E extends Exception> {
        T run() throws E;
    }

    public IoStats() {
        for (IoOp op : IoOp.values()) {
            counters.put(op, new Counters());
        }
    }

    /** One completed operation: {@code bytes} count only when it succeeded. */
    public void record(IoOp op, long bytes, long nanos, boolean succeeded) {
        Counters c = counters.get(op);
        c.operations.increment();
        if (succeeded) {
            c.bytes.add(bytes);
        } else {
            c.errors.increment();
        }
        c.latency.record(nanos);
    }

    /** Runs {@code operation} and records it: a failure is one that throws. */
    public <T, E extends Exception> T time(IoOp op, long bytes, Timed<T, E> operation) throws E {
        long start = System.nanoTime();
        boolean succeeded = false;
        try {
            T result = operation.run();
            succeeded = true;
            return result;
        } finally {
            record(op, bytes, System.nanoTime() - start, succeeded);
        }
    }

    public long operations(IoOp op) {
        return counters.get(op).operations.sum();
    }

    public long bytes(IoOp op) {
        return counters.get(op).bytes.sum();
    }

    public long errors(IoOp op) {
        return counters.get(op).errors.sum();
    }

    public LatencyHistogram.Snapshot latency(IoOp op) {
        return counters.get(op).latency.snapshot();
    }
}
