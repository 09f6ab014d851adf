package brmr.admin.nbd;

import brmr.rmr.tls.TransportSecurity;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.channels.SocketChannel;

/**
 * The byte streams of one NBD connection: over the TCP socket until NBD_OPT_STARTTLS moves them, once, onto
 * TLS. Used by the connection's own thread only during negotiation; {@link #transmissionWire()} then hands the
 * connection over to the transmission phase.
 */
final class NbdStreams {
    private static final int STREAM_BUFFER = 64 * 1024;

    private final SocketChannel tcp;
    private CountingBuffer buffer;
    private DataInputStream in;
    private DataOutputStream out;
    private boolean tls;

    NbdStreams(SocketChannel tcp) throws IOException {
        this.tcp = tcp;
        open(tcp.socket());
    }

    DataInputStream in() {
        return in;
    }

    DataOutputStream out() {
        return out;
    }

    boolean isTls() {
        return tls;
    }

    /**
     * Runs the server side of the TLS handshake and moves the streams onto it; called right after the NBD_REP_ACK
     * to NBD_OPT_STARTTLS has been flushed. {@code clientCertificate}: whether the client must present one.
     *
     * @throws NbdProtocolException the client sent bytes before the handshake, which TLS would lose
     * @throws IOException the handshake failed; the spec says the session then ends
     */
    void startTls(TransportSecurity security, TransportSecurity.ClientCertificate clientCertificate)
            throws IOException {
        if (buffer.held() > 0) {
            throw new NbdProtocolException("the client sent data after NBD_OPT_STARTTLS before the acknowledgement");
        }
        open(security.accepted(tcp.socket(), clientCertificate));
        tls = true;
    }

    /**
     * The transmission IO once negotiation is over: straight on the socket channel without TLS (taking over
     * what the streams have read ahead), through these streams with TLS.
     */
    NbdWire transmissionWire() throws IOException {
        if (tls) {
            return new NbdStreamWire(in, out);
        }
        return new NbdChannelWire(tcp, in.readNBytes(buffer.held()));
    }

    private void open(Socket socket) throws IOException {
        buffer = new CountingBuffer(socket);
        in = new DataInputStream(buffer);
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), STREAM_BUFFER));
    }

    /** A read buffer that tells how many bytes it has taken off the socket but not handed out. */
    private static final class CountingBuffer extends BufferedInputStream {
        CountingBuffer(Socket socket) throws IOException {
            super(socket.getInputStream(), STREAM_BUFFER);
        }

        synchronized int held() {
            return count - pos;
        }
    }
}
