package brmr.admin.nbd;

import brmr.rmr.tls.TransportSecurity;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What NBD clients may hold of the server: connections, handshake time, and bytes in flight. */
class NbdLimitsTest {
    private static final int MAX = NbdBlockSizes.MAXIMUM_PAYLOAD;
    private static final Duration LONG = Duration.ofSeconds(30);

    private NbdServer server;
    private final List<AutoCloseable> clients = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable client : clients) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private InetSocketAddress serve(NbdLimits limits, NbdExport export) throws IOException {
        server = new NbdServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> List.of(export),
                limits, NbdTlsMode.OFF, TransportSecurity.PLAIN);
        server.start();
        return server.address();
    }

    private RawNbdClient connect(InetSocketAddress address) throws IOException {
        RawNbdClient client = new RawNbdClient(address);
        clients.add(client);
        return client;
    }

    @Test
    void clientsThatLeaveLargeReadsUntakenAreClosedAndTheOthersServed() throws Exception {
        // the whole server holds two largest reads: the idle readers fill it, and only their closing frees it
        ByteArrayExport export = new ByteArrayExport("big", MAX);
        InetSocketAddress address = serve(new NbdLimits(16, LONG, Duration.ofMillis(500), 2 * MAX, MAX), export);
        List<RawNbdClient> idle = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            RawNbdClient client = connect(address);
            client.go("big");
            client.send(new NbdRequest(0, NbdCodec.CMD_READ, i, 0, MAX));
            client.send(new NbdRequest(0, NbdCodec.CMD_READ, 100 + i, 0, MAX));
            idle.add(client);
        }
        RawNbdClient reader = connect(address);
        reader.go("big");
        reader.send(new NbdRequest(0, NbdCodec.CMD_WRITE, 1, 4096, 4096), pattern(4096));
        assertEquals(new NbdCodec.SimpleReply(0, 1), reader.readReply());
        reader.send(new NbdRequest(0, NbdCodec.CMD_READ, 2, 4096, 4096));
        assertEquals(new NbdCodec.SimpleReply(0, 2), reader.readReply());
        assertArrayEquals(pattern(4096), reader.readData(4096));
        int closed = 0;
        for (RawNbdClient client : idle) {
            closed += servedOrClosed(client) ? 0 : 1;
        }
        assertTrue(closed >= 1, "no client that left its replies untaken was closed, yet the reader was served");
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        InetSocketAddress address = serve(new NbdLimits(2, LONG, LONG, 2 * MAX, MAX), new ByteArrayExport("e", 4096));
        RawNbdClient first = connect(address);
        RawNbdClient second = connect(address);
        try (Socket third = new Socket(address.getAddress(), address.getPort())) {
            third.setSoTimeout((int) LONG.toMillis());
            assertEquals(-1, third.getInputStream().read(), "the connection over the cap was not closed");
        }
        first.go("e");
        second.go("e");
    }

    @Test
    void aClientThatDoesNotFinishTheHandshakeIsClosed() throws Exception {
        InetSocketAddress address = serve(new NbdLimits(4, Duration.ofMillis(300), LONG, 2 * MAX, MAX),
                new ByteArrayExport("e", 4096));
        RawNbdClient serving = connect(address);
        serving.go("e");
        RawNbdClient stalled = connect(address);
        assertTrue(stalled.closedByServer());
        serving.send(new NbdRequest(0, NbdCodec.CMD_READ, 9, 0, 512));
        assertEquals(new NbdCodec.SimpleReply(0, 9), serving.readReply());
    }

    @Test
    void limitsThatCannotHoldTheLargestRequestAreRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new NbdLimits(1, LONG, LONG, MAX, MAX - 1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> new NbdLimits(1, LONG, LONG, MAX - 1, MAX));
    }

    /**
     * Takes the client's two replies: true when both arrive whole (its reads got room once others
     * were closed), false when the server closed it first.
     */
    private static boolean servedOrClosed(RawNbdClient client) throws IOException {
        try {
            for (int reply = 0; reply < 2; reply++) {
                assertEquals(0, client.readReply().error());
                client.readData(MAX);
            }
            return true;
        } catch (java.io.EOFException | java.net.SocketException e) {
            return false;
        }
    }

    private static byte[] pattern(int length) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (i * 31 + 7);
        }
        return data;
    }
}
