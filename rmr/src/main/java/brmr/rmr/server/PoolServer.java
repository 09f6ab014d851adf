package brmr.rmr.server;

import brmr.rmr.SessionSecret;
import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.Listener;
import brmr.rmr.net.RequestServer;
import brmr.rmr.net.SessionHandshake;
import brmr.rmr.protocol.SessionIdentity;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import org.tinylog.Logger;

/**
 * The TCP endpoint of a storage node: every accepted connection becomes a session of one of its pools.
 * With a secret, a connection is served only after it proved the secret ({@link SessionHandshake}).
 */
public final class PoolServer implements AutoCloseable {
    private final Listener listener;

    private PoolServer(Listener listener) {
        this.listener = listener;
    }

    /** Sessions without authentication (no {@code --secret-file}). */
    public static PoolServer start(InetSocketAddress bind, ServerPools pools) throws IOException {
        return start(bind, pools, TransportSecurity.PLAIN, null);
    }

    /**
     * With TLS ({@code security}), only peers whose certificate the CA signed get a session; with a
     * {@code secret} (null: none), only peers that prove it.
     */
    public static PoolServer start(InetSocketAddress bind, ServerPools pools, TransportSecurity security,
            SessionSecret secret) throws IOException {
        return new PoolServer(Listener.open(bind, security, connection -> serve(connection, pools, secret)));
    }

    /** The handshake runs on the connection's own thread before any request is read, so none is handled unproven. */
    private static void serve(FramedConnection connection, ServerPools pools, SessionSecret secret) {
        SessionIdentity proven = null;
        if (secret != null) {
            try {
                proven = SessionHandshake.accept(connection, secret, pool -> pools.find(pool).isPresent(),
                        SessionHandshake.TIMEOUT);
            } catch (IOException e) {
                Logger.warn("RMR connection from {} refused, authentication failed: {}", connection.peer(),
                        e.getMessage());
                connection.close();
                return;
            }
        }
        RequestServer.serve(connection, new ServerSession(pools, connection, proven));
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
