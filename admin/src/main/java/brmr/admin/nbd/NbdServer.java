package brmr.admin.nbd;

import brmr.device.IoBuffers;
import brmr.rmr.net.ByteBudget;
import brmr.rmr.net.ConnectionCap;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.tinylog.Logger;

/**
 * Serves {@link NbdExport}s to NBD clients over TCP (newstyle fixed handshake, simple replies).
 * Each connection runs on its own virtual thread, and so does each of its requests.
 */
public final class NbdServer implements AutoCloseable {
    private final InetSocketAddress bind;
    private final ExportLookup exports;
    private final NbdLimits limits;
    private final ByteBudget budget;
    private final NbdTlsMode tlsMode;
    private final TransportSecurity security;
    private final IoBuffers buffers;
    private final Map<NbdConnection, Thread> connections = new ConcurrentHashMap<>();
    /** Guarded by {@code this}, as is {@code closed}. */
    private ServerSocketChannel serverSocket;
    private Thread acceptor;
    private Thread watchdog;
    private ConnectionCap cap;
    private boolean closed;

    /** Serves what {@code exports} holds at the time each client asks; see {@link ExportLookup#find}. No TLS. */
    public NbdServer(InetSocketAddress bind, ExportLookup exports) {
        this(bind, exports, NbdLimits.DEFAULT, NbdTlsMode.OFF, TransportSecurity.PLAIN);
    }

    /** As {@link #NbdServer(InetSocketAddress, ExportLookup)}, offering NBD_OPT_STARTTLS with {@code security}. */
    public NbdServer(InetSocketAddress bind, ExportLookup exports, NbdTlsMode tlsMode, TransportSecurity security) {
        this(bind, exports, NbdLimits.DEFAULT, tlsMode, security);
    }

    /** Serves {@code exports} within {@code limits}, offering NBD_OPT_STARTTLS with {@code security} as {@code tlsMode} says. */
    public NbdServer(InetSocketAddress bind, ExportLookup exports, NbdLimits limits, NbdTlsMode tlsMode,
            TransportSecurity security) {
        this(bind, exports, limits, tlsMode, security, IoBuffers.shared());
    }

    /** As the above, taking the buffers of write payloads and read data from {@code buffers}. */
    NbdServer(InetSocketAddress bind, ExportLookup exports, NbdLimits limits, NbdTlsMode tlsMode,
            TransportSecurity security, IoBuffers buffers) {
        if (tlsMode != NbdTlsMode.OFF && !security.isEnabled()) {
            throw new IllegalArgumentException("NBD TLS mode " + tlsMode.label() + " needs TLS credentials");
        }
        this.bind = Objects.requireNonNull(bind, "bind");
        this.exports = Objects.requireNonNull(exports, "exports");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.budget = new ByteBudget(limits.inFlightBytes(), limits.inFlightBytesPerConnection());
        this.tlsMode = tlsMode;
        this.security = security;
        this.buffers = Objects.requireNonNull(buffers, "buffers");
    }

    /** Binds the listening socket (port 0 picks a free one) and starts accepting clients. */
    public synchronized void start() throws IOException {
        if (closed || serverSocket != null) {
            throw new IllegalStateException("NBD server already " + (closed ? "closed" : "started"));
        }
        ServerSocketChannel listening = ServerSocketChannel.open();
        try {
            listening.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            listening.bind(bind);
        } catch (IOException e) {
            listening.close();
            throw new IOException("cannot listen for NBD on " + bind + ": " + e.getMessage(), e);
        }
        serverSocket = listening;
        cap = new ConnectionCap("NBD server on " + listening.socket().getLocalSocketAddress(), limits.maxConnections());
        int port = listening.socket().getLocalPort();
        acceptor = Thread.ofVirtual().name("nbd-accept-" + port).start(this::acceptClients);
        watchdog = Thread.ofVirtual().name("nbd-watchdog-" + port).start(this::closeOverdue);
        Logger.info("NBD server listening on {} (TLS {})", address(), tlsMode.label());
    }

    /** The address actually bound; only valid after {@link #start()}. */
    public synchronized InetSocketAddress address() {
        if (serverSocket == null) {
            throw new IllegalStateException("NBD server not started");
        }
        return (InetSocketAddress) serverSocket.socket().getLocalSocketAddress();
    }

    /** Closes the connections serving the named export, e.g. when its device is unmapped; returns how many. */
    public int disconnect(String exportName) {
        int count = 0;
        for (NbdConnection connection : List.copyOf(connections.keySet())) {
            if (connection.exportName().filter(exportName::equals).isPresent()) {
                Logger.info("NBD server disconnects {} from export '{}'", connection.peer(), exportName);
                closeQuietly(connection);
                count++;
            }
        }
        return count;
    }

    /** Stops accepting, closes every client connection and waits until their threads have ended. */
    @Override
    public void close() {
        ServerSocketChannel listening;
        Thread accepting;
        Thread watching;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            listening = serverSocket;
            accepting = acceptor;
            watching = watchdog;
            notifyAll();
        }
        if (listening == null) {
            return;
        }
        joinUninterruptibly(watching);
        try {
            listening.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the NBD listening socket", e);
        }
        joinUninterruptibly(accepting);
        List<Map.Entry<NbdConnection, Thread>> open = List.copyOf(connections.entrySet());
        open.forEach(entry -> closeQuietly(entry.getKey()));
        open.forEach(entry -> joinUninterruptibly(entry.getValue()));
        Logger.info("NBD server on {} closed", listening.socket().getLocalSocketAddress());
    }

    private void acceptClients() {
        while (true) {
            SocketChannel socket;
            try {
                socket = serverSocket.accept();
            } catch (IOException e) {
                synchronized (this) {
                    if (!closed) {
                        Logger.error(e, "NBD server on {} stopped accepting",
                                serverSocket.socket().getLocalSocketAddress());
                    }
                }
                return;
            }
            if (!cap.admits(connections.size(), socket.socket().getRemoteSocketAddress())) {
                closeQuietly(socket);
                continue;
            }
            NbdConnection connection = new NbdConnection(socket, exports, budget.newShare(), tlsMode, security,
                    buffers);
            Thread thread = Thread.ofVirtual().name("nbd-" + connection.peer()).unstarted(() -> {
                try {
                    connection.serve();
                } finally {
                    connections.remove(connection);
                }
            });
            connections.put(connection, thread);
            thread.start();
        }
    }

    /** Until the server closes, closes connections stuck in the handshake or on a reply the client does not take. */
    private void closeOverdue() {
        long periodMillis = Math.clamp(Math.min(limits.handshakeTimeout().toMillis(), limits.replyTimeout().toMillis())
                / 4, 10, 1000);
        while (true) {
            synchronized (this) {
                try {
                    wait(periodMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                if (closed) {
                    return;
                }
            }
            long now = System.nanoTime();
            for (NbdConnection connection : List.copyOf(connections.keySet())) {
                connection.closeIfOverdue(now, limits);
            }
        }
    }

    private static void closeQuietly(SocketChannel socket) {
        try {
            socket.close();
        } catch (IOException e) {
            Logger.debug("closing the refused NBD connection from {}: {}", socket.socket().getRemoteSocketAddress(),
                    e.toString());
        }
    }

    private static void closeQuietly(NbdConnection connection) {
        try {
            connection.close();
        } catch (IOException e) {
            Logger.debug("NBD connection {} did not close cleanly: {}", connection.peer(), e.toString());
        }
    }

    /** Close must not return before the threads are gone, so an interrupt is only passed on afterwards. */
    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
