package brmr.rmr.net;

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
    private final Consumer<FramedConnection> onConnection;
    /** Accepted connections, so that close() can close them; closed ones are dropped at the next accept. */
    private final Set<FramedConnection> accepted = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private Listener(ServerSocket serverSocket, Consumer<FramedConnection> onConnection) {
        this.serverSocket = serverSocket;
        this.address = (InetSocketAddress) serverSocket.getLocalSocketAddress();
        this.onConnection = onConnection;
        this.acceptor = Thread.ofVirtual().name("rmr-accept-" + address.getPort()).unstarted(this::acceptConnections);
    }

    /** Binds {@code bind} (port 0 picks a free port) and starts accepting. */
    public static Listener open(InetSocketAddress bind, Consumer<FramedConnection> onConnection) throws IOException {
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
        Listener listener = new Listener(serverSocket, onConnection);
        listener.acceptor.start();
        Logger.info("listening for RMR sessions on {}", listener.address);
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
            FramedConnection connection;
            try {
                connection = new FramedConnection(socket);
            } catch (IOException e) {
                Logger.warn("cannot set up the connection from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
                continue;
            }
            accepted.removeIf(c -> !c.isOpen());
            accepted.add(connection);
            Logger.debug("RMR connection from {} on {}", connection.peer(), address);
            Thread.ofVirtual().name("rmr-connection-" + connection.peer()).start(() -> handOver(connection));
        }
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
