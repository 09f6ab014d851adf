package brmr.rmr.net;

import java.time.Duration;
import org.tinylog.Logger;

/**
 * The most connections a listener keeps open at once; a connection beyond it is closed at once,
 * and the refusals are logged at most once per interval so that a flood cannot flood the log.
 */
public final class ConnectionCap {
    private static final Duration LOG_INTERVAL = Duration.ofSeconds(10);

    private final String listener;
    private final int max;
    /** Guarded by {@code this}: refusals since the last log line, and when that line was written. */
    private long unreported;
    private long lastLogNanos;
    private boolean logged;

    /** {@code listener} names it in the log, e.g. {@code "RMR listener on 127.0.0.1:7001"}. */
    public ConnectionCap(String listener, int max) {
        if (max < 1) {
            throw new IllegalArgumentException(listener + ": connection cap " + max + " is not positive");
        }
        this.listener = listener;
        this.max = max;
    }

    public int max() {
        return max;
    }

    /** True when a connection fits beside {@code open} others; otherwise counts (and maybe logs) the refusal. */
    public boolean admits(int open, Object peer) {
        if (open < max) {
            return true;
        }
        synchronized (this) {
            unreported++;
            long now = System.nanoTime();
            if (!logged || now - lastLogNanos >= LOG_INTERVAL.toNanos()) {
                Logger.warn("{} has {} connections, its cap; closing the one from {} ({} refused since the last "
                        + "report)", listener, open, peer, unreported);
                logged = true;
                lastLogNanos = now;
                unreported = 0;
            }
        }
        return false;
    }
}
