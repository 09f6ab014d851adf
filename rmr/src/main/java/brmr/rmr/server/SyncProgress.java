package brmr.rmr.server;

import java.time.Duration;

/**
 * Where a pool's sync thread stands: its state, the chunks it has synced since it started, what this
 * member still lacks, the rate and the time left.
 *
 * @param reason why it stopped (null unless STOPPED)
 * @param startDirty chunks this member lacked when the thread started
 */
public record SyncProgress(State state, String reason, long synced, long dirty, long total, long startDirty,
        double mibPerSecond, Duration elapsed) {

    /** States of a sync thread. */
    public enum State { IDLE, RUNNING, STOPPED, DONE }

    /** Share of the work at start that is done, 0..100. */
    public double percent() {
        if (startDirty == 0) {
            return dirty == 0 ? 100 : 0;
        }
        return Math.max(0, Math.min(100, 100.0 * (startDirty - dirty) / startDirty));
    }

    /** Time left at the current rate, or null when it cannot be told. */
    public Duration eta(int chunkSize) {
        if (mibPerSecond <= 0) {
            return dirty == 0 ? Duration.ZERO : null;
        }
        return Duration.ofMillis((long) (dirty * (double) chunkSize / (mibPerSecond * 1048576) * 1000));
    }

    /** The one line read from {@code rmr-server/pools/<p>/sync}. */
    public String describe(int chunkSize) {
        String counts = (total - dirty) + "/" + total + " chunks clean";
        return switch (state) {
            case IDLE -> "idle: " + counts;
            case RUNNING -> String.format("running: %s, %d synced (%.1f%%), %.1f MiB/s, eta %s", counts, synced,
                    percent(), mibPerSecond, clock(eta(chunkSize)));
            case DONE -> String.format("done: %s, %d synced in %s", counts, synced, clock(elapsed));
            case STOPPED -> "stopped: " + reason + " (" + counts + ", " + synced + " synced)";
        };
    }

    static String clock(Duration duration) {
        if (duration == null) {
            return "unknown";
        }
        long seconds = duration.toSeconds();
        return String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }
}
