package brmr.rmr.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.Enable;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Flush;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.Message.Read;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.ProtocolException;
import java.lang.foreign.MemorySegment;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RpcChannelTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    /** Requests parked by a handler until the test releases them; released after every test. */
    private final Map<Long, CountDownLatch> parked = new ConcurrentHashMap<>();

    @AfterEach
    void releaseParkedRequests() {
        parked.values().forEach(CountDownLatch::countDown);
    }

    @Test
    void pipelinedCallsEachGetTheirOwnReplyWhenRepliesComeOutOfOrder() throws Exception {
        int calls = 200;
        BlockingQueue<Long> arrived = new LinkedBlockingQueue<>();
        RecordingHandler handler = new RecordingHandler(request -> {
            Read read = (Read) request;
            CountDownLatch release = parked.computeIfAbsent(read.offset(), offset -> new CountDownLatch(1));
            arrived.add(read.offset());
            release.await();
            return new Data(MemorySegment.ofArray(replyTo(read)));
        });
        try (Listener listener = Listener.open(LOOPBACK, connection -> RequestServer.serve(connection, handler));
                RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder());
                ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            Map<Long, Future<Message>> replies = new ConcurrentHashMap<>();
            for (int i = 0; i < calls; i++) {
                Read read = new Read(i * 4096L, i);
                replies.put(read.offset(), callers.submit(() -> channel.callAndWait(read, TIMEOUT)));
            }
            List<Long> offsets = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                Long offset = arrived.poll(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                assertNotNull(offset, "only " + i + " requests are being handled at once");
                offsets.add(offset);
            }
            Collections.shuffle(offsets, new Random(42));
            for (long offset : offsets) {
                parked.get(offset).countDown();
                Data reply = (Data) replies.get(offset).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                assertArrayEquals(replyTo(new Read(offset, (int) (offset / 4096))), reply.data().toArray(ValueLayout.JAVA_BYTE));
            }
            assertTrue(channel.isOpen());
        }
    }

    @Test
    void serverClosingTheConnectionFailsPendingCallsAndRunsOnClosedOnce() throws Exception {
        CompletableFuture<FramedConnection> serverSide = new CompletableFuture<>();
        ClosedRecorder onClosed = new ClosedRecorder();
        try (Listener listener = Listener.open(LOOPBACK, serverSide::complete)) {
            RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT), onClosed);
            try (channel) {
                List<CompletableFuture<Message>> calls = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    calls.add(channel.call(new Flush()));
                }
                FramedConnection server = serverSide.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                for (int i = 0; i < calls.size(); i++) {
                    assertInstanceOf(Flush.class, server.receive().message());
                }
                server.close();
                for (CompletableFuture<Message> call : calls) {
                    ExecutionException failure = assertThrows(ExecutionException.class,
                            () -> call.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                    IOException cause = assertInstanceOf(IOException.class, failure.getCause());
                    assertTrue(cause.getMessage().startsWith("connection to " + channel.peer() + " closed"),
                            cause.getMessage());
                }
                assertInstanceOf(IOException.class, onClosed.cause.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                assertFalse(channel.isOpen());
                IOException later = assertThrows(IOException.class, () -> channel.callAndWait(new Enable(), TIMEOUT));
                assertTrue(later.getMessage().startsWith("Enable to " + channel.peer() + " failed"),
                        later.getMessage());
            }
        }
        assertEquals(1, onClosed.calls.get());
    }

    @Test
    void aPeerBreakingTheProtocolFailsTheCallsWithTheReason() throws Exception {
        ClosedRecorder onClosed = new ClosedRecorder();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(LOOPBACK);
            try (RpcChannel channel = new RpcChannel(FramedConnection.connect(
                    (InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT), onClosed);
                    Socket peer = server.accept()) {
                CompletableFuture<Message> call = channel.call(new Flush());
                OutputStream out = peer.getOutputStream();
                out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                ProtocolException cause = assertInstanceOf(ProtocolException.class,
                        onClosed.cause.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                assertEquals("bad magic 0x48545450, not an RMR frame", cause.getMessage());
                ExecutionException failure = assertThrows(ExecutionException.class, call::get);
                assertTrue(failure.getCause().getMessage().endsWith("closed: bad magic 0x48545450, not an RMR frame"),
                        failure.getCause().getMessage());
            }
        }
        assertEquals(1, onClosed.calls.get());
    }

    @Test
    void aFailureUnderRequestIdZeroEndsTheSession() throws Exception {
        CompletableFuture<FramedConnection> serverSide = new CompletableFuture<>();
        ClosedRecorder onClosed = new ClosedRecorder();
        try (Listener listener = Listener.open(LOOPBACK, serverSide::complete);
                RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT), onClosed)) {
            CompletableFuture<Message> call = channel.call(new Flush());
            FramedConnection server = serverSide.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Frame request = server.receive();
            server.send(request.requestId() + 1000, new Ok());
            server.send(0, new Failure(Status.PROTOCOL, "go away"));
            Throwable cause = onClosed.cause.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(channel.peer() + " ended the session: PROTOCOL go away", cause.getMessage());
            assertThrows(ExecutionException.class, call::get);
        }
        assertEquals(1, onClosed.calls.get());
    }

    @Test
    void callAndWaitTimesOutAndTheLateReplyIsDropped() throws Exception {
        CompletableFuture<FramedConnection> serverSide = new CompletableFuture<>();
        try (Listener listener = Listener.open(LOOPBACK, serverSide::complete);
                RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder())) {
            IOException timeout = assertThrows(IOException.class,
                    () -> channel.callAndWait(new Flush(), Duration.ofMillis(100)));
            assertEquals("Flush to " + channel.peer() + " timed out after 100 ms", timeout.getMessage());
            FramedConnection server = serverSide.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            Frame flush = server.receive();
            server.send(flush.requestId(), new Failure(Status.IO_ERROR, "late"));
            CompletableFuture<Message> enable = channel.call(new Enable());
            server.send(server.receive().requestId(), new Ok());
            assertEquals(new Ok(), enable.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(channel.isOpen());
        }
    }

    @Test
    void anInterruptedCallAndWaitKeepsTheInterruptFlag() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, connection -> { });
                RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT),
                        new ClosedRecorder())) {
            Thread.currentThread().interrupt();
            IOException interrupted = assertThrows(IOException.class, () -> channel.callAndWait(new Flush(), TIMEOUT));
            assertTrue(Thread.interrupted(), "interrupt flag restored");
            assertEquals("Flush to " + channel.peer() + " interrupted", interrupted.getMessage());
            assertTrue(channel.isOpen());
        }
    }

    @Test
    void closeFailsPendingCallsAndRunsOnClosedOnceHoweverOftenItIsCalled() throws Exception {
        CompletableFuture<FramedConnection> serverSide = new CompletableFuture<>();
        ClosedRecorder onClosed = new ClosedRecorder();
        try (Listener listener = Listener.open(LOOPBACK, serverSide::complete)) {
            RpcChannel channel = new RpcChannel(FramedConnection.connect(listener.address(), TIMEOUT), onClosed);
            CompletableFuture<Message> call = channel.call(new Flush());
            try (ExecutorService closers = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 8; i++) {
                    closers.execute(channel::close);
                }
                serverSide.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).close();
            }
            channel.close();
            ExecutionException failure = assertThrows(ExecutionException.class, call::get);
            assertInstanceOf(IOException.class, failure.getCause());
            assertFalse(channel.isOpen());
            assertTrue(channel.call(new Flush()).isCompletedExceptionally());
        }
        assertEquals(1, onClosed.calls.get());
    }

    private static byte[] replyTo(Read read) {
        return ByteBuffer.allocate(12).putLong(read.offset()).putInt(read.length()).array();
    }
}
