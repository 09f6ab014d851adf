package brmr.rmr.net;

import brmr.rmr.protocol.DataDestination;
import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.FrameInput;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.PayloadAdmission;
import brmr.rmr.protocol.ProtocolException;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.tls.TransportSecurity;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;

/**
 * A TCP connection that carries RMR frames. Any number of threads may {@link #send}; one thread
 * at a time may {@link #receive}. {@link #close()} from any thread unblocks both.
 *
 * <p>Over a socket with a channel (plain TCP from {@link #connect} or a {@link Listener}) frames
 * are read through a native read-ahead buffer with data read straight into its destination
 * ({@link ChannelInput}), and sent with one gathering write of the header and fields and the
 * message's data segment, uncopied. A socket without one (TLS) goes through buffered streams, which
 * copy (as TLS does anyway); both behave the same otherwise.
 */
public final class FramedConnection implements AutoCloseable {
    private static final int BUFFER_BYTES = 64 * 1024;
    /** The largest payload an accepted connection takes before its session is established (a Hello is far smaller). */
    public static final int HANDSHAKE_FRAME_BYTES = 4096;

    private final Socket socket;
    private final String peer;
    private final FrameInput in;
    /** Null when the socket has no channel (TLS): frames go to {@link #out}. */
    private final SocketChannel channel;
    private final OutputStream out;
    /** Channel only: frames without data (and the header of the next) not yet written; guarded by sendLock. */
    private final ByteBuffer unsent;
    private final ReentrantLock sendLock = new ReentrantLock();
    private final long openedNanos = System.nanoTime();
    /** When the payload being read started to arrive (System.nanoTime), or 0 between frames. */
    private volatile long payloadSinceNanos;
    // volatile, no lock: set by the listener and the session's handler, read by the receiving thread
    private volatile boolean established = true;
    private volatile int frameLimit = RmrCodec.MAX_PAYLOAD;
    private volatile ByteBudget.Share inFlight = ByteBudget.unlimited().newShare();

    /** Takes over a connected socket; closes it when setting it up fails. */
    public FramedConnection(Socket socket) throws IOException {
        if (!socket.isConnected()) {
            throw new IllegalArgumentException("the socket is not connected");
        }
        this.socket = socket;
        this.peer = format(socket.getInetAddress(), socket.getPort());
        // a TLS socket layered over a channel's socket reports that channel, which carries ciphertext
        this.channel = socket instanceof SSLSocket ? null : socket.getChannel();
        try {
            socket.setTcpNoDelay(true);
            if (channel != null) {
                this.in = new ChannelInput(channel, BUFFER_BYTES);
                this.out = null;
                this.unsent = ByteBuffer.allocateDirect(BUFFER_BYTES);
            } else {
                this.in = FrameInput.of(new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES));
                this.out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES);
                this.unsent = null;
            }
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
        Socket socket = SocketChannel.open().socket();
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
     * Writes one frame and flushes it before returning, or leaves the flush to a sender already
     * waiting for its turn, which then flushes both (no thread waits on lock() without acquiring
     * it). A frame with data is always written before this returns, so the caller may reuse the data
     * segment then. A failed write leaves half a frame on the wire, so it closes the connection.
     *
     * @throws IllegalArgumentException the message cannot be encoded (see {@link RmrCodec#write}); nothing was sent
     */
    public void send(long requestId, Message message) throws IOException {
        RmrCodec.Encoded frame = RmrCodec.encode(requestId, message);
        sendLock.lock();
        try {
            if (channel != null) {
                // a channel closes itself on its writer's interrupt; a socket stream never did, so callers may be interrupted
                boolean interrupted = Thread.interrupted();
                try {
                    sendGathered(frame);
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
            } else {
                try {
                    RmrCodec.write(out, frame);
                } finally {
                    // a sender waiting for the lock flushes this frame with its own: many small frames, one syscall
                    if (!sendLock.hasQueuedThreads()) {
                        out.flush();
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // a frame cut off midway (e.g. its data segment's arena closed) would desync the stream
            close();
            throw new IOException("cannot send " + message.getClass().getSimpleName() + " to " + peer + ": "
                    + e.getMessage(), e);
        } finally {
            sendLock.unlock();
        }
    }

    /**
     * Appends the frame's header and fields to the unsent ones and writes them, with the data segment
     * in the same gathering write; a frame without data is left for a waiting sender to write.
     */
    private void sendGathered(RmrCodec.Encoded frame) throws IOException {
        ByteBuffer head = frame.head();
        if (head.remaining() > unsent.remaining()) {
            writeFully(unsent.flip());
            unsent.clear();
        }
        boolean large = head.remaining() > unsent.remaining();
        if (!large) {
            unsent.put(head);
        }
        if (frame.data() == null && !large && sendLock.hasQueuedThreads()) {
            return;
        }
        unsent.flip();
        if (large) {
            writeFully(unsent, head);
        } else if (frame.data() != null) {
            writeFully(unsent, frame.data().asByteBuffer());
        } else {
            writeFully(unsent);
        }
        unsent.clear();
        if (large && frame.data() != null) {
            writeFully(frame.data().asByteBuffer());
        }
    }

    /** A blocking channel may still write part of a gathering write: repeated until all is out. */
    private void writeFully(ByteBuffer... buffers) throws IOException {
        while (buffers[0].hasRemaining() || buffers[buffers.length - 1].hasRemaining()) {
            channel.write(buffers);
        }
    }

    /**
     * Blocks until the next frame arrives; only one thread may receive.
     *
     * @throws java.io.EOFException the peer closed the connection between frames
     * @throws ProtocolException the peer sent something that is not a valid frame
     */
    public Frame receive() throws IOException, ProtocolException {
        return receive((type, length) -> { });
    }

    /**
     * As {@link #receive()}; a frame over the connection's {@link #frameLimit} is refused before
     * its payload is read, and {@code admission} then sees the payload length before it is read.
     */
    public Frame receive(PayloadAdmission admission) throws IOException, ProtocolException {
        return receive(admission, DataDestination.HEAP);
    }

    /**
     * As {@link #receive(PayloadAdmission)}, the data of a Write or Data read into the segment
     * {@code destination} chooses; the caller owns the returned frame (see {@link Frame#release()}).
     */
    public Frame receive(PayloadAdmission admission, DataDestination destination)
            throws IOException, ProtocolException {
        try {
            return RmrCodec.read(in, (type, length) -> {
                int limit = frameLimit;
                if (length > limit) {
                    throw new ProtocolException(type + " payload of " + length + " bytes exceeds the limit of " + limit
                            + (established ? "" : " before the session is established"));
                }
                admission.admit(type, length);
                payloadSinceNanos = Math.max(1, System.nanoTime());
            }, destination);
        } finally {
            payloadSinceNanos = 0;
        }
    }

    /** When the connection was set up (System.nanoTime). */
    public long openedNanos() {
        return openedNanos;
    }

    /** When the payload {@link #receive} is reading started (System.nanoTime), or 0 when it reads none. */
    public long payloadSinceNanos() {
        return payloadSinceNanos;
    }

    /**
     * Until {@link #establish()}, takes only handshake-sized frames ({@link #HANDSHAKE_FRAME_BYTES}):
     * what a server does with a connection it has just accepted from an unknown peer.
     */
    public void restrictToHandshake() {
        established = false;
        frameLimit = HANDSHAKE_FRAME_BYTES;
    }

    /** The peer has been accepted (e.g. its Hello): frames up to {@link RmrCodec#MAX_PAYLOAD} from now on. */
    public void establish() {
        frameLimit = RmrCodec.MAX_PAYLOAD;
        established = true;
    }

    public boolean isEstablished() {
        return established;
    }

    /** The largest payload {@link #receive} takes now. */
    public int frameLimit() {
        return frameLimit;
    }

    /** Requests received on this connection hold their bytes in {@code share} until answered (see RequestServer). */
    public void countInFlight(ByteBudget.Share share) {
        inFlight = share;
    }

    public ByteBudget.Share inFlight() {
        return inFlight;
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
