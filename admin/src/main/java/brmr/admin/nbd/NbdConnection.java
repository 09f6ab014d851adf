package brmr.admin.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.util.Optional;
import org.tinylog.Logger;

/** One client connection: negotiation, then transmission, until either side ends it. */
final class NbdConnection implements Closeable {
    private static final int STREAM_BUFFER = 64 * 1024;

    private final Socket socket;
    private final ExportLookup exports;
    private final String peer;
    private volatile boolean closing;
    private volatile String exportName;

    NbdConnection(Socket socket, ExportLookup exports) {
        this.socket = socket;
        this.exports = exports;
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
            DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), STREAM_BUFFER));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(),
                    STREAM_BUFFER));
            Optional<NegotiatedExport> chosen = new NbdNegotiation(in, out, exports, peer).run();
            if (chosen.isPresent()) {
                exportName = chosen.get().export().name();
                Logger.info("NBD client {} uses export '{}' ({} bytes{})", peer, exportName, chosen.get().size(),
                        chosen.get().readOnly() ? ", read-only" : "");
                new NbdTransmission(in, out, chosen.get(), peer, this).run();
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

    /** Closes the socket, which ends {@link #serve()} once requests in flight have finished. */
    @Override
    public void close() throws IOException {
        closing = true;
        socket.close();
    }
}
