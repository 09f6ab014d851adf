package brmr.rmr.net;

import static brmr.rmr.net.RpcChannelTest.LOOPBACK;
import static brmr.rmr.net.RpcChannelTest.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.FrameBytes;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Flush;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.Message.Ping;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.Message.Write;
import brmr.rmr.protocol.RmrCodec;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What a listener lets a peer hold: frame sizes before Hello, connections, time, bytes in flight. */
class TransportLimitsTest {
    private static final Listener.Limits SMALL = new Listener.Limits(3, Duration.ofMillis(300), Duration.ofMillis(300),
            RmrCodec.MAX_PAYLOAD, RmrCodec.MAX_PAYLOAD);

    @Test
    void beforeTheSessionIsEstablishedOnlyHandshakeSizedFramesAreRead() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, connection -> RequestServer.serve(connection, ok()));
                Socket raw = connect(listener)) {
            raw.getOutputStream().write(FrameBytes.headerDeclaring(new Data(MemorySegment.ofArray(new byte[0])), 64 << 20));
            assertEquals(new Frame(0, new Failure(Status.PROTOCOL, "Data payload of 67108864 bytes exceeds the limit "
                    + "of 4096 before the session is established")), RmrCodec.read(raw.getInputStream()));
            assertThrows(EOFException.class, () -> RmrCodec.read(raw.getInputStream()));
        }
    }

    @Test
    void anEstablishedSessionTakesFullSizeFrames() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, connection -> RequestServer.serve(connection,
                establishingOn(connection)));
                RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder())) {
            assertEquals(new Ok(), channel.callAndWait(new Ping(), TIMEOUT));
            assertEquals(new Ok(), channel.callAndWait(new Write(0, List.of(), MemorySegment.ofArray(new byte[8 << 20])), TIMEOUT));
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosedAtOnce() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, new Listener.Limits(2, TIMEOUT, TIMEOUT, RmrCodec.MAX_PAYLOAD,
                RmrCodec.MAX_PAYLOAD), connection -> RequestServer.serve(connection, establishingOn(connection)));
                RpcChannel first = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder());
                RpcChannel second = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder());
                Socket third = connect(listener)) {
            assertEquals(new Ok(), first.callAndWait(new Ping(), TIMEOUT));
            assertEquals(new Ok(), second.callAndWait(new Ping(), TIMEOUT));
            assertEquals(-1, third.getInputStream().read(), "the connection over the cap was not closed");
            first.close();
            awaitAccepted(listener);
        }
    }

    @Test
    void aConnectionThatNeverEstablishesIsClosedAfterTheHandshakeTimeout() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, SMALL, connection -> RequestServer.serve(connection,
                establishingOn(connection)));
                RpcChannel established = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder());
                Socket silent = connect(listener)) {
            assertEquals(new Ok(), established.callAndWait(new Ping(), TIMEOUT));
            long start = System.nanoTime();
            assertEquals(-1, silent.getInputStream().read(), "the silent connection was not closed");
            assertTrue(System.nanoTime() - start < TIMEOUT.toNanos());
            assertEquals(new Ok(), established.callAndWait(new Ping(), TIMEOUT), "the established session was closed");
        }
    }

    @Test
    void bytesOfAFrameCutShortAreGivenBackToTheListenersBudget() throws Exception {
        // the whole listener holds one largest frame: a leak would stall the next one for ever
        try (Listener listener = Listener.open(LOOPBACK, SMALL, connection -> RequestServer.serve(connection,
                establishingOn(connection)))) {
            byte[] big = FrameBytes.encode(2, new Write(0, List.of(), MemorySegment.ofArray(new byte[RmrCodec.MAX_DATA_BYTES])));
            try (Socket cut = connect(listener)) {
                cut.getOutputStream().write(FrameBytes.encode(1, new Ping()));
                assertEquals(new Frame(1, new Ok()), RmrCodec.read(cut.getInputStream()));
                cut.getOutputStream().write(big, 0, big.length / 2);
            }
            try (RpcChannel after = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                    new ClosedRecorder())) {
                assertEquals(new Ok(), after.callAndWait(new Ping(), TIMEOUT));
                assertEquals(new Ok(), after.callAndWait(new Write(0, List.of(), MemorySegment.ofArray(new byte[RmrCodec.MAX_DATA_BYTES])),
                        TIMEOUT), "the bytes of the frame cut short were not given back");
            }
        }
    }

    @Test
    void aFrameThatStopsArrivingMidwayIsClosedAndItsBytesGivenBack() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, SMALL, connection -> RequestServer.serve(connection,
                establishingOn(connection)));
                Socket stalled = connect(listener)) {
            stalled.getOutputStream().write(FrameBytes.encode(1, new Ping()));
            assertEquals(new Frame(1, new Ok()), RmrCodec.read(stalled.getInputStream()));
            stalled.getOutputStream().write(FrameBytes.headerDeclaring(new Data(MemorySegment.ofArray(new byte[0])), RmrCodec.MAX_PAYLOAD));
            assertEquals(-1, stalled.getInputStream().read(), "the stalled connection was not closed");
            try (RpcChannel after = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                    new ClosedRecorder())) {
                assertEquals(new Ok(), after.callAndWait(new Ping(), TIMEOUT));
                assertEquals(new Ok(), after.callAndWait(new Write(0, List.of(), MemorySegment.ofArray(new byte[RmrCodec.MAX_DATA_BYTES])),
                        TIMEOUT), "the bytes of the stalled frame were not given back");
            }
        }
    }

    @Test
    void anErrorInAHandlerClosesOnlyItsConnection() throws Exception {
        RecordingHandler.Answer answer = request -> {
            if (request instanceof Flush) {
                throw new OutOfMemoryError("Java heap space (thrown by the test)");
            }
            return new Ok();
        };
        try (Listener listener = Listener.open(LOOPBACK, connection -> {
            connection.establish();
            RequestServer.serve(connection, new RecordingHandler(answer));
        });
                RpcChannel victim = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder());
                RpcChannel bystander = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder())) {
            assertEquals(new Ok(), bystander.callAndWait(new Ping(), TIMEOUT));
            ExecutionException failed = assertThrows(ExecutionException.class,
                    () -> victim.call(new Flush()).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(failed.getCause() instanceof IOException, failed.toString());
            assertEquals(new Ok(), bystander.callAndWait(new Ping(), TIMEOUT));
            try (RpcChannel later = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                    new ClosedRecorder())) {
                assertEquals(new Ok(), later.callAndWait(new Ping(), TIMEOUT));
            }
        }
    }

    /** Answers Ok to everything and establishes the session at its first request, as a Hello would. */
    private static RequestServer.Handler establishingOn(FramedConnection connection) {
        return new RecordingHandler(request -> {
            connection.establish();
            return new Ok();
        });
    }

    private static RequestServer.Handler ok() {
        return new RecordingHandler(request -> new Ok());
    }

    private static Socket connect(Listener listener) throws IOException {
        Socket socket = new Socket(listener.address().getAddress(), listener.address().getPort());
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        return socket;
    }

    /** Retries until a new connection is served: the cap counts a closed connection out when it is seen closed. */
    private static void awaitAccepted(Listener listener) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try (RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                    new ClosedRecorder())) {
                if (channel.call(new Ping()).handle((reply, e) -> reply instanceof Ok)
                        .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no connection was served after one under the cap closed");
            }
        }
    }
}
