package brmr.rmr.net;

import static brmr.rmr.net.RpcChannelTest.LOOPBACK;
import static brmr.rmr.net.RpcChannelTest.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.FrameBytes;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Enable;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Flush;
import brmr.rmr.protocol.Message.GetMaps;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.Message.QueryParams;
import brmr.rmr.protocol.Message.Read;
import brmr.rmr.protocol.Message.ReadChunk;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.ProtocolException;
import brmr.rmr.protocol.RmrCodec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RequestServerTest {
    /** The handlers of the connections the listener accepted, in order. */
    private final BlockingQueue<RecordingHandler> handlers = new LinkedBlockingQueue<>();

    @Test
    void handlerExceptionsBecomeFailureReplies() throws Exception {
        RecordingHandler.Answer answer = request -> switch (request) {
            case Read _ -> throw new IllegalArgumentException("offset beyond the end");
            case Flush _ -> throw new IOException("disk gone");
            case GetMaps _ -> throw new IllegalStateException();
            case QueryParams _ -> null;
            default -> new Ok();
        };
        try (Listener listener = listen(answer);
                RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder())) {
            assertEquals(new Failure(Status.INVALID, "offset beyond the end"),
                    channel.callAndWait(new Read(1L << 62, 4096), TIMEOUT));
            assertEquals(new Failure(Status.IO_ERROR, "disk gone"), channel.callAndWait(new Flush(), TIMEOUT));
            assertEquals(new Failure(Status.IO_ERROR, "IllegalStateException"),
                    channel.callAndWait(new GetMaps(), TIMEOUT));
            assertEquals(new Failure(Status.IO_ERROR, "the handler returned no reply to QueryParams"),
                    channel.callAndWait(new QueryParams(), TIMEOUT));
            assertEquals(new Ok(), channel.callAndWait(new Enable(), TIMEOUT));
            assertTrue(channel.isOpen());
        }
    }

    @Test
    void repliesCarryTheRequestIdOfTheirRequest() throws Exception {
        try (Listener listener = listen(request -> new Ok())) {
            try (FramedConnection client = FramedConnection.connect(listener.address(), TIMEOUT)) {
                for (long requestId : new long[] {0, -1, Long.MIN_VALUE, 42}) {
                    client.send(requestId, new ReadChunk(requestId));
                    assertEquals(new Frame(requestId, new Ok()), client.receive());
                }
            }
            // asked before the listener closes the server side itself, which would be a different cause
            assertInstanceOf(EOFException.class, closedCause(nextHandler()));
        }
    }

    @Test
    void garbageIsRefusedWithAProtocolFailureAndTheListenerKeepsAccepting() throws Exception {
        try (Listener listener = listen(request -> new Ok())) {
            try (Socket raw = new Socket(listener.address().getAddress(), listener.address().getPort())) {
                raw.getOutputStream().write("GET / HTTP/1.1\r\nHost: brmr\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertRefusal(raw.getInputStream(), "bad magic 0x47455420, not an RMR frame");
            }
            RecordingHandler refused = nextHandler();
            ProtocolException cause = assertInstanceOf(ProtocolException.class, closedCause(refused));
            assertEquals("bad magic 0x47455420, not an RMR frame", cause.getMessage());

            try (RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                    new ClosedRecorder())) {
                assertEquals(new Ok(), channel.callAndWait(new Flush(), TIMEOUT));
            }
            assertInstanceOf(EOFException.class, closedCause(nextHandler()));
            assertEquals(1, refused.closedCalls.get());
        }
    }

    @Test
    void aPeerSpeakingAnotherVersionIsRefusedWithTheReason() throws Exception {
        try (Listener listener = listen(request -> new Ok());
                Socket raw = new Socket(listener.address().getAddress(), listener.address().getPort())) {
            raw.getOutputStream().write(FrameBytes.withVersion(FrameBytes.encode(7, new Flush()), 5));
            assertRefusal(raw.getInputStream(), "protocol version 5, this node speaks 4");
            ProtocolException cause = assertInstanceOf(ProtocolException.class, closedCause(nextHandler()));
            assertEquals("protocol version 5, this node speaks 4", cause.getMessage());
        }
    }

    @Test
    void closedRunsOnceAfterTheHandlersInFlightHaveReturned() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean returned = new AtomicBoolean();
        CompletableFuture<Throwable> closedCause = new CompletableFuture<>();
        AtomicInteger closedCalls = new AtomicInteger();
        AtomicBoolean closedAfterReturn = new AtomicBoolean();
        RequestServer.Handler handler = new RequestServer.Handler() {
            @Override
            public Message handle(Message request) throws InterruptedException {
                started.countDown();
                release.await();
                returned.set(true);
                return new Ok();
            }

            @Override
            public void closed(Throwable cause) {
                closedAfterReturn.set(returned.get());
                closedCalls.incrementAndGet();
                closedCause.complete(cause);
            }
        };
        try (Listener listener = Listener.open(LOOPBACK, connection -> RequestServer.serve(connection, handler))) {
            try (RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                    new ClosedRecorder())) {
                channel.call(new Flush());
                assertTrue(started.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            }
            assertThrows(TimeoutException.class, () -> closedCause.get(200, TimeUnit.MILLISECONDS),
                    "closed() ran while a handler was still running");
            release.countDown();
            assertInstanceOf(EOFException.class, closedCause.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(closedAfterReturn.get(), "closed() ran while a handler was still running");
            assertEquals(1, closedCalls.get());
        } finally {
            release.countDown();
        }
    }

    private Listener listen(RecordingHandler.Answer answer) throws IOException {
        return Listener.open(LOOPBACK, connection -> {
            RecordingHandler handler = new RecordingHandler(answer);
            handlers.add(handler);
            RequestServer.serve(connection, handler);
        });
    }

    private RecordingHandler nextHandler() throws InterruptedException {
        RecordingHandler handler = handlers.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(handler, "no connection was served");
        return handler;
    }

    private static Throwable closedCause(RecordingHandler handler) throws Exception {
        return handler.closedCause.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The server answers a broken frame with a PROTOCOL failure under request id 0, then closes. */
    private static void assertRefusal(InputStream in, String reason) throws Exception {
        Frame refusal = RmrCodec.read(in);
        assertEquals(new Frame(0, new Failure(Status.PROTOCOL, reason)), refusal);
        assertThrows(EOFException.class, () -> RmrCodec.read(in));
    }
}
