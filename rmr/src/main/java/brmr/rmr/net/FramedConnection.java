package brmr.rmr.net;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.ProtocolException;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.tls.TransportSecurity;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A TCP connection that carries RMR frames. Any number of threads may {@link #send}; one thread
 * at a time may {@link #receive}. {@link #close()} from any thread unblocks both.
 */
public final class FramedConnection implements AutoCloseable {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final Socket socket;
    private final String peer;
    private final InputStream in;
    private final OutputStream out;
    private final ReentrantLock sendLock = new ReentrantLock();

    /** Takes over a connected socket; closes it when setting it up fails. */
    public FramedConnection(Socket socket) throws IOException {
        if (!socket.isConnected()) {
            throw new IllegalArgumentException("the socket is not connected");
        }
        this.socket = socket;
        this.peer = format(socket.getInetAddress(), socket.getPort());
        try {
            socket.setTcpNoDelay(true);
            this.in = new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES);
            this.out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Opens a plain TCP connection; {@code connectTimeout} bounds the TCP handshake only. */
    public static FramedConnection connect(InetSocketAddress address, Duration connectTimeout) throws IOException {
        return connect(address, connectTimeout, TransportSecurity.PLAIN);
    }

    /**
     * Opens a connection protected by {@code security}; {@code connectTimeout} bounds the TCP handshake,
     * {@link TransportSecurity#HANDSHAKE_TIMEOUT} the TLS one.
     */
    public static FramedConnection connect(InetSocketAddress address, Duration connectTimeout,
            TransportSecurity security) throws IOException {
        if (!connectTimeout.isPositive()) {
            throw new IllegalArgumentException("connect timeout must be positive, got " + connectTimeout);
        }
        Socket socket = new Socket();
        try {
            socket.connect(address, (int) Math.clamp(connectTimeout.toMillis(), 1, Integer.MAX_VALUE));
        } catch (IOException e) {
            socket.close();
            throw new IOException("cannot connect to " + address.getHostString() + ":" + address.getPort() + ": "
                    + e.getMessage(), e);
        }
        return new FramedConnection(security.connected(socket, address));
    }

    /**
     * Writes and flushes one frame; concurrent senders take turns. A failed write leaves half a
     * frame on the wire, so it closes the connection.
     *
     * @throws IllegalArgumentException the message cannot be encoded (see {@link RmrCodec#write}); nothing was sent
     */
    public void send(long requestId, Message message) throws IOException {
        sendLock.lock();
        try {
            RmrCodec.write(out, requestId, message);
            out.flush();
        } catch (IOException e) {
            close();
            throw new IOException("cannot send " + message.getClass().getSimpleName() + " to " + peer + ": "
                    + e.getMessage(), e);
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Blocks until the next frame arrives; only one thread may receive.
     *
     * @throws java.io.EOFException the peer closed the connection between frames
     * @throws ProtocolException the peer sent something that is not a valid frame
     */
    public Frame receive() throws IOException, ProtocolException {
        return RmrCodec.read(in);
    }

    /** The remote address, e.g. {@code 127.0.0.1:7001}. */
    public String peer() {
        return peer;
    }

    public boolean isOpen() {
        return !socket.isClosed();
    }

    /** Idempotent; a blocked {@link #receive} or {@link #send} fails with an IOException. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing a socket that is already broken has nothing left to release
        }
    }

    @Override
    public String toString() {
        return "FramedConnection[" + peer + "]";
    }

    private static String format(InetAddress address, int port) {
        String host = address.getHostAddress();
        return (address instanceof Inet6Address ? "[" + host + "]" : host) + ":" + port;
    }
}
