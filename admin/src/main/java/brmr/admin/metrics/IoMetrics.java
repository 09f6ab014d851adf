package brmr.admin.metrics;

import brmr.rmr.IoOp;
import brmr.rmr.IoStats;

/** The IO families of one {@link IoStats}, per op: operations, bytes, errors and the latency histogram. */
final class IoMetrics {
    private IoMetrics() {
    }

    /**
     * @param prefix {@code brmr_client} or {@code brmr_server}
     * @param where what the IO went over, for the HELP lines ("a session", "a pool")
     */
    static void add(Exposition out, String prefix, String where, IoStats stats, String... labels) {
        for (IoOp op : IoOp.values()) {
            String[] withOp = Exposition.with(labels, "op", op.label());
            out.counter(prefix + "_io_operations_total", "Block IO operations completed over " + where
                    + ", failed or not.", stats.operations(op), withOp);
            out.counter(prefix + "_io_bytes_total", "Bytes of the block IO operations over " + where
                    + " that succeeded.", stats.bytes(op), withOp);
            out.counter(prefix + "_io_errors_total", "Block IO operations over " + where + " that failed.",
                    stats.errors(op), withOp);
            out.histogram(prefix + "_io_latency_seconds", "Time from request to reply of block IO operations over "
                    + where + ".", stats.latency(op), withOp);
        }
    }
}
