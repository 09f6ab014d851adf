package brmr.admin.nbd;

import java.time.Duration;

/**
 * What NBD clients may hold of a daemon: open connections, the time to finish negotiation, how
 * long one reply may wait for the client to take it, and the bytes of requests in flight (per
 * connection and in all). A connection over a byte budget stops being read until its replies go out.
 */
public record NbdLimits(int maxConnections, Duration handshakeTimeout, Duration replyTimeout, int inFlightBytes,
        int inFlightBytesPerConnection) {
    /**
     * Two largest requests per connection, eight in all. Their data lives in native buffers (IoBuffers), so the
     * daemon's direct-memory cap must hold this much besides what the RMR transport takes.
     */
    public static final NbdLimits DEFAULT = new NbdLimits(128, Duration.ofSeconds(10), Duration.ofSeconds(30),
            8 * NbdBlockSizes.MAXIMUM_PAYLOAD, 2 * NbdBlockSizes.MAXIMUM_PAYLOAD);

    public NbdLimits {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("NBD connection cap " + maxConnections + " is not positive");
        }
        if (!handshakeTimeout.isPositive() || !replyTimeout.isPositive()) {
            throw new IllegalArgumentException("NBD timeouts must be positive, got handshake " + handshakeTimeout
                    + " and reply " + replyTimeout);
        }
        if (inFlightBytesPerConnection < NbdBlockSizes.MAXIMUM_PAYLOAD || inFlightBytes < inFlightBytesPerConnection) {
            throw new IllegalArgumentException("NBD in-flight bytes " + inFlightBytes + " in all and "
                    + inFlightBytesPerConnection + " per connection cannot hold a request of "
                    + NbdBlockSizes.MAXIMUM_PAYLOAD);
        }
    }
}
