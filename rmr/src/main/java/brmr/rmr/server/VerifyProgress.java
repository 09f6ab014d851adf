package brmr.rmr.server;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where a pool's online verify stands: the chunks of its range compared with the peers so far, those
 * that differ, those skipped because one side lacks them (dirty), the rate and the time taken.
 *
 * @param reason why it stopped (null unless STOPPED)
 * @param differing the chunks whose checksum differs from a peer's, ascending
 * @param first first chunk of the range (meaningless while IDLE)
 * @param last last chunk of the range, inclusive (meaningless while IDLE)
 * @param repair whether differing chunks are marked dirty for this member
 */
public record VerifyProgress(State state, String reason, long compared, List<Long> differing, long skipped,
        long first, long last, boolean repair, double mibPerSecond, Duration elapsed) {

    /** States of a verify. */
    public enum State { IDLE, RUNNING, STOPPED, DONE }

    public VerifyProgress {
        differing = List.copyOf(differing);
    }

    static VerifyProgress idle() {
        return new VerifyProgress(State.IDLE, null, 0, List.of(), 0, 0, -1, false, 0, Duration.ZERO);
    }

    /** Chunks in the range. */
    public long total() {
        return state == State.IDLE ? 0 : last - first + 1;
    }

    /** Share of the range walked (compared or skipped), 0..100. */
    public double percent() {
        long total = total();
        return total == 0 ? 0 : Math.min(100, 100.0 * (compared + skipped) / total);
    }

    /** The one line read from {@code rmr-server/pools/<p>/verify}. */
    public String describe() {
        return switch (state) {
            case IDLE -> "idle";
            case RUNNING -> String.format("running: %d/%d chunks compared, %d differ, %.1f MiB/s", compared, total(),
                    differing.size(), mibPerSecond);
            case DONE -> "done: " + outcome();
            case STOPPED -> "stopped: " + reason + ", " + outcome();
        };
    }

    private String outcome() {
        return compared + " chunks compared, " + differing.size() + " differ: "
                + differing.stream().map(String::valueOf).collect(Collectors.joining(" ", "[", "]"))
                + (skipped > 0 ? ", " + skipped + " skipped" : "");
    }
}
