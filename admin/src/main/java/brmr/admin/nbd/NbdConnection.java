package brmr.admin.nbd;

import brmr.device.IoBuffers;
import brmr.rmr.net.ByteBudget;
import brmr.rmr.tls.TransportSecurity;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.channels.SocketChannel;
import java.util.Optional;
import org.tinylog.Logger;

/** One client connection: negotiation, then transmission, until either side ends it. */
final class NbdConnection implements Closeable {
    private final SocketChannel channel;
    private final ExportLookup exports;
    private final ByteBudget.Share inFlightBytes;
    private final NbdTlsMode tlsMode;
    private final TransportSecurity security;
    private final IoBuffers buffers;
    private final String peer;
    private final long acceptedNanos = System.nanoTime();
    private volatile boolean closing;
    private volatile String exportName;
    /** When the reply being written started (System.nanoTime), or 0 while none is. */
    private volatile long replySinceNanos;

    NbdConnection(SocketChannel channel, ExportLookup exports, ByteBudget.Share inFlightBytes, NbdTlsMode tlsMode,
            TransportSecurity security, IoBuffers buffers) {
        this.channel = channel;
        this.exports = exports;
        this.inFlightBytes = inFlightBytes;
        this.tlsMode = tlsMode;
        this.security = security;
        this.buffers = buffers;
        this.peer = String.valueOf(channel.socket().getRemoteSocketAddress());
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    void replyStarted() {
        replySinceNanos = Math.max(1, System.nanoTime());
    }

    void replyEnded() {
        replySinceNanos = 0;
    }

    /**
     * Closes a connection that has not chosen an export within the handshake timeout, or whose
     * client has not taken a reply within the reply timeout (it holds budget the others need).
     * Returns true when it closed it.
     */
    boolean closeIfOverdue(long nowNanos, NbdLimits limits) {
        String why = null;
        long replySince = replySinceNanos;
        if (exportName == null && nowNanos - acceptedNanos > limits.handshakeTimeout().toNanos()) {
            why = "did not finish the handshake within " + limits.handshakeTimeout().toMillis() + " ms";
        } else if (replySince != 0 && nowNanos - replySince > limits.replyTimeout().toNanos()) {
            why = "has not taken a reply for " + limits.replyTimeout().toMillis() + " ms";
        }
        if (why == null || !isOpen()) {
            return false;
        }
        Logger.warn("NBD client {} {}; closing the connection", peer, why);
        try {
            close();
        } catch (IOException e) {
            Logger.debug("NBD connection {} did not close cleanly: {}", peer, e.toString());
        }
        return true;
    }

    String peer() {
        return peer;
    }

    /** The export this connection serves, or empty while it is still negotiating. */
    Optional<String> exportName() {
        return Optional.ofNullable(exportName);
    }

    /** Runs the whole connection on the calling thread; returns when it is closed. */
    void serve() {
        Logger.info("NBD connection from {} opened", peer);
        try (channel) {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            NbdStreams streams = new NbdStreams(channel);
            Optional<NegotiatedExport> chosen = new NbdNegotiation(streams, exports, peer, tlsMode, security).run();
            if (chosen.isPresent()) {
                exportName = chosen.get().export().name();
                Logger.info("NBD client {} uses export '{}' ({} bytes{})", peer, exportName, chosen.get().size(),
                        chosen.get().readOnly() ? ", read-only" : "");
                new NbdTransmission(streams.transmissionWire(), chosen.get(), peer, this, inFlightBytes, buffers)
                        .run();
            }
        } catch (NbdProtocolException e) {
            Logger.warn("NBD protocol violation by {}: {}; closing the connection", peer, e.getMessage());
        } catch (EOFException e) {
            Logger.info("NBD client {} hung up in the middle of a message", peer);
        } catch (IOException e) {
            if (closing) {
                Logger.debug("NBD connection from {} closed locally: {}", peer, e.toString());
            } else {
                Logger.warn("NBD connection from {} failed: {}", peer, e.toString());
            }
        } catch (RuntimeException | Error e) {
            // an Error (e.g. OutOfMemoryError) ends this connection only; the server serves the others
            Logger.error(e, "NBD connection from {} failed unexpectedly", peer);
        }
        Logger.info("NBD connection from {} closed", peer);
    }

    /** Closes the TCP socket (under TLS too), which ends {@link #serve()} once requests in flight have finished. */
    @Override
    public void close() throws IOException {
        closing = true;
        channel.close();
    }
}
