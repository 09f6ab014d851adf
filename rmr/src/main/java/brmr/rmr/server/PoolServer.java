package brmr.rmr.server;

import brmr.rmr.net.Listener;
import brmr.rmr.net.RequestServer;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;

/** The TCP endpoint of a storage node: every accepted connection becomes a session of one of its pools. */
public final class PoolServer implements AutoCloseable {
    private final Listener listener;

    private PoolServer(Listener listener) {
        this.listener = listener;
    }

    public static PoolServer start(InetSocketAddress bind, ServerPools pools) throws IOException {
        return start(bind, pools, TransportSecurity.PLAIN);
    }

    /** With TLS, only peers whose certificate the CA signed get a session. */
    public static PoolServer start(InetSocketAddress bind, ServerPools pools, TransportSecurity security)
            throws IOException {
        return new PoolServer(Listener.open(bind, security,
                connection -> RequestServer.serve(connection, new ServerSession(pools, connection))));
    }

    public InetSocketAddress address() {
        return listener.address();
    }

    @Override
    public void close() throws IOException {
        listener.close();
    }
}
