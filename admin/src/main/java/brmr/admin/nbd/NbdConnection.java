package brmr.admin.nbd;

import brmr.rmr.tls.TransportSecurity;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.util.Optional;
import org.tinylog.Logger;

/** One client connection: negotiation, then transmission, until either side ends it. */
final class NbdConnection implements Closeable {
    private final Socket socket;
    private final ExportLookup exports;
    private final NbdTlsMode tlsMode;
    private final TransportSecurity security;
    private final String peer;
    private volatile boolean closing;
    private volatile String exportName;

    NbdConnection(Socket socket, ExportLookup exports, NbdTlsMode tlsMode, TransportSecurity security) {
        this.socket = socket;
        this.exports = exports;
        this.tlsMode = tlsMode;
        this.security = security;
        this.peer = String.valueOf(socket.getRemoteSocketAddress());
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
        try (socket) {
            socket.setTcpNoDelay(true);
            NbdStreams streams = new NbdStreams(socket);
            Optional<NegotiatedExport> chosen = new NbdNegotiation(streams, exports, peer, tlsMode, security).run();
            if (chosen.isPresent()) {
                exportName = chosen.get().export().name();
                Logger.info("NBD client {} uses export '{}' ({} bytes{})", peer, exportName, chosen.get().size(),
                        chosen.get().readOnly() ? ", read-only" : "");
                new NbdTransmission(streams.in(), streams.out(), chosen.get(), peer, this).run();
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
        } catch (RuntimeException e) {
            Logger.error(e, "NBD connection from {} failed unexpectedly", peer);
        }
        Logger.info("NBD connection from {} closed", peer);
    }

    /** Closes the TCP socket (under TLS too), which ends {@link #serve()} once requests in flight have finished. */
    @Override
    public void close() throws IOException {
        closing = true;
        socket.close();
    }
}
