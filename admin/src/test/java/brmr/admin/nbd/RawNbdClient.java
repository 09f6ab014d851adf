package brmr.admin.nbd;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;

/** A minimal NBD client over a plain socket, speaking through {@link NbdCodec}, for protocol edge cases. */
final class RawNbdClient implements AutoCloseable {
    private static final int TIMEOUT_MILLIS = 10_000;

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final int handshakeFlags;

    /** Connects and completes the handshake with the given client flags. */
    RawNbdClient(InetSocketAddress server, int clientFlags) throws IOException {
        socket = new Socket();
        socket.connect(server, TIMEOUT_MILLIS);
        socket.setSoTimeout(TIMEOUT_MILLIS);
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        out = new DataOutputStream(socket.getOutputStream());
        handshakeFlags = NbdCodec.readGreeting(in);
        NbdCodec.writeClientFlags(out, clientFlags);
    }

    RawNbdClient(InetSocketAddress server) throws IOException {
        this(server, NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE | NbdCodec.CLIENT_FLAG_NO_ZEROES);
    }

    int handshakeFlags() {
        return handshakeFlags;
    }

    void sendOption(int code, byte[] data) throws IOException {
        NbdCodec.writeOption(out, new NbdOption(code, data));
    }

    NbdCodec.OptionReply readOptionReply() throws IOException {
        return NbdCodec.readOptionReply(in, 1 << 20);
    }

    /** Sends NBD_OPT_INFO or NBD_OPT_GO and collects the replies up to and including the final one. */
    List<NbdCodec.OptionReply> query(int option, String name, List<Integer> informationTypes) throws IOException {
        sendOption(option, NbdCodec.encodeExportQuery(new NbdExportQuery(name, informationTypes)));
        List<NbdCodec.OptionReply> replies = new ArrayList<>();
        NbdCodec.OptionReply reply;
        do {
            reply = readOptionReply();
            replies.add(reply);
        } while (reply.type() == NbdCodec.REP_INFO);
        return replies;
    }

    /** Enters transmission for the named export, failing the test if the server refuses. */
    NbdInfo.Export go(String name) throws IOException {
        List<NbdCodec.OptionReply> replies = query(NbdCodec.OPT_GO, name, List.of(NbdCodec.INFO_BLOCK_SIZE));
        NbdCodec.OptionReply last = replies.getLast();
        if (last.type() != NbdCodec.REP_ACK) {
            throw new AssertionError("NBD_OPT_GO refused with reply type 0x" + Integer.toHexString(last.type()));
        }
        return replies.stream()
                .filter(reply -> reply.type() == NbdCodec.REP_INFO)
                .map(reply -> NbdCodec.decodeInfo(reply.data()))
                .filter(NbdInfo.Export.class::isInstance)
                .map(NbdInfo.Export.class::cast)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no NBD_INFO_EXPORT in reply to NBD_OPT_GO"));
    }

    void send(NbdRequest request, byte[] data) throws IOException {
        NbdCodec.writeRequest(out, request);
        out.write(data);
        out.flush();
    }

    void send(NbdRequest request) throws IOException {
        send(request, new byte[0]);
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    NbdCodec.SimpleReply readReply() throws IOException {
        return NbdCodec.readSimpleReply(in);
    }

    byte[] readData(int length) throws IOException {
        byte[] data = new byte[length];
        in.readFully(data);
        return data;
    }

    /** True once the server has closed the connection: the next read sees the end of the stream. */
    boolean closedByServer() throws IOException {
        try {
            return in.read() == -1;
        } catch (EOFException | SocketException e) {
            return true;
        }
    }

    DataInputStream input() {
        return in;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
