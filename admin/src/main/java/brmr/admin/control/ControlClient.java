package brmr.admin.control;

import brmr.admin.events.EventFeed;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** brmrctl's side of a daemon's control socket. */
public final class ControlClient implements AutoCloseable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;

    private ControlClient(SocketChannel channel) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
    }

    public static ControlClient connect(Path socket) throws IOException {
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot reach the daemon at " + socket + " (" + e.getMessage() + ")", e);
        }
        return new ControlClient(channel);
    }

    /** Whether a daemon is accepting on {@code socket}. */
    static boolean answers(Path socket) {
        try (ControlClient client = connect(socket)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public ControlCodec.Response call(ControlCodec.Request request) throws IOException, ControlException {
        out.write((ControlCodec.encode(request) + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String line = in.readLine();
        if (line == null) {
            throw new IOException("the daemon closed the control connection");
        }
        return ControlCodec.decodeResponse(line);
    }

    /** Asks for the daemon's events and hands each to {@code sink}; returns when the daemon ends the stream. */
    public void events(EventFeed.Sink sink) throws IOException, ControlException {
        out.write((ControlCodec.encode(new ControlCodec.Request("events", null, null)) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        String line;
        while ((line = in.readLine()) != null) {
            sink.accept(ControlCodec.decodeEvent(line));
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
