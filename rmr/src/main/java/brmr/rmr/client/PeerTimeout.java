package brmr.rmr.client;

import brmr.rmr.PoolException;
import java.time.Duration;

/**
 * How long a storage node may leave a request of one session unanswered before the session is
 * failed: one per pool, changed at run time through the pool's {@code peer_timeout} file. Every
 * session also sends a {@link brmr.rmr.protocol.Message.Ping} each heartbeat, so an idle peer that
 * froze is found as fast as a busy one; a request therefore waits at most timeout plus one heartbeat.
 */
public final class PeerTimeout {
    public static final Duration DEFAULT = Duration.ofSeconds(5);
    public static final int MIN_SECONDS = 1;
    public static final int MAX_SECONDS = 300;
    /** Heartbeats per timeout: a frozen peer is found within timeout * (1 + 1/BEATS). */
    private static final int BEATS = 5;
    private static final Duration MIN_HEARTBEAT = Duration.ofMillis(20);
    /** Deadline checks per heartbeat: how late past the timeout a request is found overdue. */
    private static final int CHECKS = 10;

    private volatile Duration timeout;

    public PeerTimeout(Duration timeout) {
        if (!timeout.isPositive()) {
            throw new IllegalArgumentException("peer timeout must be positive, got " + timeout);
        }
        this.timeout = timeout;
    }

    public static PeerTimeout ofDefault() {
        return new PeerTimeout(DEFAULT);
    }

    public Duration timeout() {
        return timeout;
    }

    public Duration heartbeat() {
        Duration beat = timeout.dividedBy(BEATS);
        return beat.compareTo(MIN_HEARTBEAT) < 0 ? MIN_HEARTBEAT : beat;
    }

    /** How often the requests in flight are checked against the timeout. */
    public Duration deadlineCheck() {
        return heartbeat().dividedBy(CHECKS);
    }

    /** The operator's {@code peer_timeout} in whole seconds, {@value #MIN_SECONDS}..{@value #MAX_SECONDS}. */
    public void seconds(long seconds) throws PoolException {
        if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
            throw new PoolException("peer_timeout", seconds + " is out of range " + MIN_SECONDS + ".." + MAX_SECONDS
                    + " seconds");
        }
        timeout = Duration.ofSeconds(seconds);
    }

    /** A copy that starts at the same value and is changed on its own (a pool's own setting from the daemon's). */
    public PeerTimeout copy() {
        return new PeerTimeout(timeout);
    }

    @Override
    public String toString() {
        return timeout.toMillis() % 1000 == 0 ? String.valueOf(timeout.toSeconds()) : timeout.toMillis() / 1000.0 + "";
    }
}
