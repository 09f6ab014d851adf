package brmr.rmr.net;

import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * Accepts TCP connections for RMR sessions and hands each, as a {@link FramedConnection}, to a
 * consumer running on its own virtual thread (e.g. {@code c -> RequestServer.serve(c, handler)}).
 */
public final class Listener implements AutoCloseable {
    /**
     * What one listener lets its peers hold: open connections, the time from accept until the
     * session is established, the time one frame's payload may take to arrive once its bytes are
     * reserved, and the bytes of requests in flight (per connection and in all).
     */
    public record Limits(int maxConnections, Duration handshakeTimeout, Duration payloadTimeout, int inFlightBytes,
            int inFlightBytesPerConnection) {
        /** Sized for a 1 GiB heap: two largest requests per connection, six in all. */
        public static final Limits DEFAULT = new Limits(256, Duration.ofSeconds(10), Duration.ofSeconds(30),
                6 * RmrCodec.MAX_PAYLOAD, 2 * RmrCodec.MAX_PAYLOAD);

        public Limits {
            if (!handshakeTimeout.isPositive() || !payloadTimeout.isPositive()) {
                throw new IllegalArgumentException("timeouts must be positive, got handshake " + handshakeTimeout
                        + " and payload " + payloadTimeout);
            }
            if (inFlightBytesPerConnection < RmrCodec.MAX_PAYLOAD) {
                throw new IllegalArgumentException("in-flight bytes per connection " + inFlightBytesPerConnection
                        + " cannot hold the largest frame of " + RmrCodec.MAX_PAYLOAD);
            }
        }
    }

    private final ServerSocket serverSocket;
    private final Limits limits;
    private final ConnectionCap cap;
    private final ByteBudget budget;
    private final InetSocketAddress address;
    private final TransportSecurity security;
    private final Consumer<FramedConnection> onConnection;
    /** Accepted connections, so that close() can close them; closed ones are dropped at the next accept. */
    private final Set<FramedConnection> accepted = ConcurrentHashMap.newKeySet();
    /** Connections accepted but still in their TLS handshake: they count against the cap too. */
    private final AtomicInteger settingUp = new AtomicInteger();
    private final Thread acceptor;
    private final Thread watchdog;
    private volatile boolean closed;

    private Listener(ServerSocket serverSocket, Limits limits, TransportSecurity security,
            Consumer<FramedConnection> onConnection) {
        this.serverSocket = serverSocket;
        this.security = security;
        this.address = (InetSocketAddress) serverSocket.getLocalSocketAddress();
        this.limits = limits;
        this.cap = new ConnectionCap("RMR listener on " + address, limits.maxConnections());
        this.budget = new ByteBudget(limits.inFlightBytes(), limits.inFlightBytesPerConnection());
        this.onConnection = onConnection;
        this.acceptor = Thread.ofVirtual().name("rmr-accept-" + address.getPort()).unstarted(this::acceptConnections);
        this.watchdog = Thread.ofVirtual().name("rmr-watchdog-" + address.getPort()).unstarted(this::closeOverdue);
    }

    /** Binds {@code bind} (port 0 picks a free port) and starts accepting plain TCP connections within {@link Limits#DEFAULT}. */
    public static Listener open(InetSocketAddress bind, Consumer<FramedConnection> onConnection) throws IOException {
        return open(bind, Limits.DEFAULT, TransportSecurity.PLAIN, onConnection);
    }

    /** As {@link #open(InetSocketAddress, Limits, TransportSecurity, Consumer)} over plain TCP. */
    public static Listener open(InetSocketAddress bind, Limits limits, Consumer<FramedConnection> onConnection)
            throws IOException {
        return open(bind, limits, TransportSecurity.PLAIN, onConnection);
    }

    /** As {@link #open(InetSocketAddress, Limits, TransportSecurity, Consumer)} within {@link Limits#DEFAULT}. */
    public static Listener open(InetSocketAddress bind, TransportSecurity security,
            Consumer<FramedConnection> onConnection) throws IOException {
        return open(bind, Limits.DEFAULT, security, onConnection);
    }

    /**
     * Binds {@code bind} and starts accepting connections protected by {@code security}: with TLS, a peer
     * whose certificate the CA did not sign never reaches {@code onConnection}. Each connection starts
     * restricted to handshake-sized frames ({@link FramedConnection#restrictToHandshake}); the consumer's
     * session calls {@link FramedConnection#establish} once it accepts the peer, or the connection is
     * closed after the handshake timeout.
     */
    public static Listener open(InetSocketAddress bind, Limits limits, TransportSecurity security,
            Consumer<FramedConnection> onConnection) throws IOException {
        Objects.requireNonNull(onConnection, "onConnection");
        Objects.requireNonNull(limits, "limits");
        // a channel's socket: the sockets it accepts have channels, which FramedConnection reads and writes directly
        ServerSocket serverSocket = ServerSocketChannel.open().socket();
        try {
            serverSocket.setReuseAddress(true);
            serverSocket.bind(bind);
        } catch (IOException e) {
            serverSocket.close();
            throw new IOException("cannot listen for RMR sessions on " + bind.getHostString() + ":" + bind.getPort()
                    + ": " + e.getMessage(), e);
        }
        Listener listener = new Listener(serverSocket, limits, security, onConnection);
        listener.acceptor.start();
        listener.watchdog.start();
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
        watchdog.interrupt();
        try {
            acceptor.join();
            watchdog.join();
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
            accepted.removeIf(c -> !c.isOpen());
            if (!cap.admits(accepted.size() + settingUp.get(), socket.getRemoteSocketAddress())) {
                closeQuietly(socket);
                continue;
            }
            settingUp.incrementAndGet();
            Thread.ofVirtual().name("rmr-connection-" + socket.getRemoteSocketAddress()).start(() -> setUp(socket));
        }
    }

    /** Runs on the connection's own thread, so that a slow TLS handshake holds up no other peer. */
    private void setUp(Socket socket) {
        FramedConnection connection;
        try {
            connection = new FramedConnection(security.accepted(socket, TransportSecurity.ClientCertificate.REQUIRED));
            connection.restrictToHandshake();
            connection.countInFlight(budget.newShare());
            accepted.add(connection);
        } catch (IOException e) {
            Logger.warn("cannot set up the connection from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
            return;
        } finally {
            settingUp.decrementAndGet();
        }
        if (closed) {
            // close() may have run during the handshake, before this connection was in the set
            connection.close();
            return;
        }
        Logger.debug("RMR connection from {} on {}", connection.peer(), address);
        handOver(connection);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            Logger.debug("closing the refused connection from {}: {}", socket.getRemoteSocketAddress(), e.getMessage());
        }
    }

    /**
     * Until the listener closes: closes connections that did not establish a session within the
     * handshake timeout, and those whose frame stopped arriving midway (its bytes are reserved in the budget).
     */
    private void closeOverdue() {
        long periodMillis = Math.clamp(Math.min(limits.handshakeTimeout().toMillis(),
                limits.payloadTimeout().toMillis()) / 4, 10, 1000);
        while (!closed) {
            try {
                Thread.sleep(periodMillis);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (FramedConnection connection : accepted) {
                String why = overdue(connection, now);
                if (why != null && connection.isOpen()) {
                    Logger.info("{} {}; closing the connection", connection.peer(), why);
                    connection.close();
                }
            }
        }
    }

    private String overdue(FramedConnection connection, long now) {
        if (!connection.isEstablished() && now - connection.openedNanos() > limits.handshakeTimeout().toNanos()) {
            return "did not establish a session within " + limits.handshakeTimeout().toMillis() + " ms";
        }
        long payloadSince = connection.payloadSinceNanos();
        if (payloadSince != 0 && now - payloadSince > limits.payloadTimeout().toNanos()) {
            return "did not send the rest of a frame within " + limits.payloadTimeout().toMillis() + " ms";
        }
        return null;
    }

    private void handOver(FramedConnection connection) {
        try {
            onConnection.accept(connection);
        } catch (RuntimeException | Error e) {
            // an Error (e.g. OutOfMemoryError) ends this connection only; the listener keeps serving the others
            Logger.error(e, "the handler of the connection from {} failed; closing it", connection.peer());
            connection.close();
        }
    }
}
