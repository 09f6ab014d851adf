package brmr.rmr.net;

import static brmr.rmr.net.RpcChannelTest.LOOPBACK;
import static brmr.rmr.net.RpcChannelTest.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.RmrCodec;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FramedConnectionTest {
    @Test
    void framesTravelBothWaysAndPeerNamesTheRemoteAddress() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(LOOPBACK);
            try (FramedConnection client = FramedConnection.connect(
                    (InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT);
                    FramedConnection accepted = new FramedConnection(server.accept())) {
                assertEquals("127.0.0.1:" + server.getLocalPort(), client.peer());
                assertTrue(accepted.peer().matches("127\\.0\\.0\\.1:[0-9]+"), accepted.peer());
                client.send(3, new Data(MemorySegment.ofArray(new byte[1 << 20])));
                assertEquals(new Frame(3, new Data(MemorySegment.ofArray(new byte[1 << 20]))), accepted.receive());
                accepted.send(4, new Ok());
                assertEquals(new Frame(4, new Ok()), client.receive());
            }
        }
    }

    @Test
    void aMessageThatCannotBeEncodedLeavesTheConnectionUsable() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(LOOPBACK);
            try (FramedConnection client = FramedConnection.connect(
                    (InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT);
                    FramedConnection accepted = new FramedConnection(server.accept())) {
                assertThrows(IllegalArgumentException.class,
                        () -> client.send(1, new Data(MemorySegment.ofArray(new byte[RmrCodec.MAX_PAYLOAD]))));
                client.send(2, new Ok());
                assertEquals(new Frame(2, new Ok()), accepted.receive());
                assertTrue(client.isOpen());
            }
        }
    }

    @Test
    void dataWhoseMemoryIsGoneNeverLeavesHalfAFrameOnAUsableConnection() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(LOOPBACK);
            try (FramedConnection client = FramedConnection.connect(
                    (InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT);
                    FramedConnection accepted = new FramedConnection(server.accept())) {
                Arena arena = Arena.ofShared();
                MemorySegment gone = arena.allocate(4096);
                arena.close();
                assertThrows(Exception.class, () -> client.send(1, new Data(gone)));
                if (client.isOpen()) {
                    client.send(2, new Ok());
                    assertEquals(new Frame(2, new Ok()), accepted.receive(), "the next frame arrives whole");
                } else {
                    assertThrows(IOException.class, accepted::receive, "a closed connection, not a garbled frame");
                }
            }
        }
    }

    @Test
    void framesOfConcurrentSendersAllArriveThoughTheyShareFlushes() throws Exception {
        int senders = 16;
        int frames = 200;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(LOOPBACK);
            try (FramedConnection client = FramedConnection.connect(
                    (InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT);
                    FramedConnection accepted = new FramedConnection(server.accept())) {
                CompletableFuture<Set<Long>> received = CompletableFuture.supplyAsync(() -> {
                    Set<Long> ids = new HashSet<>();
                    try {
                        while (ids.size() < senders * frames) {
                            ids.add(accepted.receive().requestId());
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return ids;
                });
                List<Thread> threads = new ArrayList<>();
                for (int t = 0; t < senders; t++) {
                    long base = (long) t * frames;
                    threads.add(Thread.ofVirtual().start(() -> {
                        for (int i = 0; i < frames; i++) {
                            try {
                                client.send(base + i, new Data(MemorySegment.ofArray(new byte[512])));
                            } catch (IOException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }));
                }
                for (Thread thread : threads) {
                    thread.join();
                }
                // every sender has returned: the last frame of each must reach the peer without another send
                assertEquals(senders * frames, received.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).size());
            }
        }
    }

    @Test
    void closeUnblocksAReceiveAndIsIdempotent() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(LOOPBACK);
            FramedConnection client = FramedConnection.connect(
                    (InetSocketAddress) server.getLocalSocketAddress(), TIMEOUT);
            try (Socket accepted = server.accept()) {
                CompletableFuture<Frame> received = new CompletableFuture<>();
                Thread receiver = Thread.ofVirtual().start(() -> {
                    try {
                        received.complete(client.receive());
                    } catch (Exception e) {
                        received.completeExceptionally(e);
                    }
                });
                awaitParked(receiver);
                client.close();
                client.close();
                ExecutionException failure = assertThrows(ExecutionException.class,
                        () -> received.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
                assertTrue(failure.getCause() instanceof IOException, failure.getCause().toString());
                assertFalse(client.isOpen());
                IOException send = assertThrows(IOException.class, () -> client.send(1, new Ok()));
                assertTrue(send.getMessage().startsWith("cannot send Ok to " + client.peer()), send.getMessage());
                assertEquals(-1, accepted.getInputStream().read(), "the peer sees the close");
            }
        }
    }

    @Test
    void aNonPositiveConnectTimeoutIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> FramedConnection.connect(LOOPBACK, Duration.ZERO));
    }

    /** Waits until {@code thread} is parked, as a virtual thread blocked in a socket read is. */
    private static void awaitParked(Thread thread) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (thread.getState() != Thread.State.WAITING) {
            assertTrue(System.nanoTime() < deadline, "the receiving thread never blocked");
            Thread.onSpinWait();
        }
    }
}
