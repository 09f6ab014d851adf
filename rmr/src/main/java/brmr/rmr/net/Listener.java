package brmr.rmr.net;

import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * Accepts TCP connections for RMR sessions and hands each, as a {@link FramedConnection}, to a
 * consumer running on its own virtual thread (e.g. {@code c -> RequestServer.serve(c, handler)}).
 */
public final class Listener implements AutoCloseable {
    private final ServerSocket serverSocket;
    private final InetSocketAddress address;
    private final TransportSecurity security;
    private final Consumer<FramedConnection> onConnection;
    /** Accepted connections, so that close() can close them; closed ones are dropped at the next accept. */
    private final Set<FramedConnection> accepted = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private Listener(ServerSocket serverSocket, TransportSecurity security, Consumer<FramedConnection> onConnection) {
        this.serverSocket = serverSocket;
        this.security = security;
        this.address = (InetSocketAddress) serverSocket.getLocalSocketAddress();
        this.onConnection = onConnection;
        this.acceptor = Thread.ofVirtual().name("rmr-accept-" + address.getPort()).unstarted(this::acceptConnections);
    }

    /** Binds {@code bind} (port 0 picks a free port) and starts accepting plain TCP connections. */
    public static Listener open(InetSocketAddress bind, Consumer<FramedConnection> onConnection) throws IOException {
        return open(bind, TransportSecurity.PLAIN, onConnection);
    }

    /**
     * Binds {@code bind} and starts accepting connections protected by {@code security}: with TLS, a peer
     * whose certificate the CA did not sign never reaches {@code onConnection}.
     */
    public static Listener open(InetSocketAddress bind, TransportSecurity security,
            Consumer<FramedConnection> onConnection) throws IOException {
        Objects.requireNonNull(onConnection, "onConnection");
        ServerSocket serverSocket = new ServerSocket();
        try {
            serverSocket.setReuseAddress(true);
            serverSocket.bind(bind);
        } catch (IOException e) {
            serverSocket.close();
            throw new IOException("cannot listen for RMR sessions on " + bind.getHostString() + ":" + bind.getPort()
                    + ": " + e.getMessage(), e);
        }
        Listener listener = new Listener(serverSocket, security, onConnection);
        listener.acceptor.start();
        Logger.info("listening for RMR sessions on {} ({})", listener.address, security);
        return listener;
    }

    /** The address actually bound. */
    public InetSocketAddress address() {
        return address;
    }

    /**
     * Stops accepting, closes the accepted connections that are still open and returns once the
     * accept thread has ended. It does not wait for the consumers, which see their connection end.
     */
    @Override
    public void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException e) {
            Logger.debug("closing the listening socket on {}: {}", address, e.getMessage());
        }
        try {
            acceptor.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List.copyOf(accepted).forEach(FramedConnection::close);
        accepted.clear();
    }

    private void acceptConnections() {
        while (!closed) {
            Socket socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    Logger.error("RMR listener on {} stops accepting: {}", address, e.getMessage());
                }
                return;
            }
            Thread.ofVirtual().name("rmr-connection-" + socket.getRemoteSocketAddress())
                    .start(() -> setUp(socket));
        }
    }

    /** Runs on the connection's own thread, so that a slow TLS handshake holds up no other peer. */
    private void setUp(Socket socket) {
        FramedConnection connection;
        try {
            connection = new FramedConnection(security.accepted(socket, TransportSecurity.ClientCertificate.REQUIRED));
        } catch (IOException e) {
            Logger.warn("cannot set up the connection from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
            return;
        }
        accepted.removeIf(c -> !c.isOpen());
        accepted.add(connection);
        if (closed) {
            // close() may have run during the handshake, before this connection was in the set
            connection.close();
            return;
        }
        Logger.debug("RMR connection from {} on {}", connection.peer(), address);
        handOver(connection);
    }

    private void handOver(FramedConnection connection) {
        try {
            onConnection.accept(connection);
        } catch (RuntimeException e) {
            Logger.error(e, "the handler of the connection from {} failed; closing it", connection.peer());
            connection.close();
        }
    }
}
