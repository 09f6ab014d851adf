package brmr.rmr.net;

import static brmr.rmr.net.RpcChannelTest.LOOPBACK;
import static brmr.rmr.net.RpcChannelTest.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import brmr.rmr.protocol.DataDestination;
import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.MemberMap;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.Message.Read;
import brmr.rmr.protocol.Message.Write;
import brmr.rmr.protocol.RmrCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The plain-TCP data path: data read into pooled buffers, sent with gathering writes, replies into the caller's segment. */
class ChannelDataPathTest {
    @Test
    void pipelinedFramesDecodeWholeWithDataSplitBetweenReadAheadAndDirectRead() throws Exception {
        List<Message> sent = List.of(write(0, 100, 1), write(4096, 100_000, 2), new Ok(),
                write(8192, (1 << 20) + 3, 3), write(0, 70_000, 4));
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0; i < sent.size(); i++) {
            RmrCodec.write(wire, i, sent.get(i));
        }
        Pipe pipe = Pipe.open();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (Pipe.SinkChannel sink = pipe.sink()) {
                ByteBuffer bytes = ByteBuffer.wrap(wire.toByteArray());
                while (bytes.hasRemaining()) {
                    sink.write(bytes);
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        IoBuffers pool = new IoBuffers(16 << 20);
        // a read-ahead smaller than the second frame: its data arrives partly read ahead, partly straight
        ChannelInput input = new ChannelInput(pipe.source(), 4096);
        List<Frame> frames = new ArrayList<>();
        for (int i = 0; i < sent.size(); i++) {
            Frame frame = RmrCodec.read(input, (type, length) -> { }, DataDestination.pooled(pool));
            frames.add(frame);
            assertEquals(new Frame(i, sent.get(i)), frame);
            if (i == 0) {
                assertTrue(input.available() > 0, "the first fill read ahead into the next frame");
            }
            if (frame.message() instanceof Write w) {
                assertTrue(w.data().isNative(), "the data lives in a pooled native buffer");
                assertEquals(0, w.data().address() % 4096, "aligned for direct IO");
            }
        }
        writer.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        assertEquals(0, pool.idleBuffers(), "every Write frame holds its buffer");
        frames.forEach(Frame::release);
        frames.forEach(Frame::release);
        assertEquals(4, pool.idleBuffers(), "released once each, however often release is called");
    }

    @Test
    void gatheredSendsPutTheCodecsBytesOnTheWire() throws Exception {
        MemorySegment nativeData = Arena.ofAuto().allocate(300_000, 4096);
        fill(nativeData, 9);
        long[] words = new long[20_000];
        words[7] = 0x5A5A;
        List<Message> sent = List.of(new Ok(), new Write(512, List.of(2), nativeData),
                new Message.Maps(64L * words.length, List.of(new MemberMap(1, words))), new Ok(),
                new Data(MemorySegment.ofArray(pattern(5000, 3))), new Write(0, List.of(), nativeData.asSlice(0, 0)));
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < sent.size(); i++) {
            RmrCodec.write(expected, i, sent.get(i));
        }
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(LOOPBACK);
                FramedConnection client = FramedConnection.connect((InetSocketAddress) server.getLocalAddress(),
                        TIMEOUT);
                Socket raw = server.accept().socket()) {
            CompletableFuture<byte[]> received = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = raw.getInputStream()) {
                    return in.readNBytes(expected.size());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            for (int i = 0; i < sent.size(); i++) {
                client.send(i, sent.get(i));
            }
            assertArrayEquals(expected.toByteArray(), received.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void aRequestsBuffersGoBackOnceItsReplyIsSent() throws Exception {
        IoBuffers pool = new IoBuffers(8 << 20);
        CompletableFuture<Integer> idleWhileHandling = new CompletableFuture<>();
        RequestServer.Handler handler = new RequestServer.Handler() {
            @Override
            public Message handle(Message request) {
                throw new AssertionError("the server hands over the frame");
            }

            @Override
            public Message handle(Frame request) {
                Write write = (Write) request.message();
                IoBuffer reply = pool.take((int) write.data().byteSize());
                request.hold(reply);
                reply.segment().copyFrom(write.data());
                idleWhileHandling.complete(pool.idleBuffers());
                return new Data(reply.segment());
            }

            @Override
            public void closed(Throwable cause) {
            }
        };
        try (Served served = serve(handler, pool); RpcChannel channel = new RpcChannel(served.client, cause -> { })) {
            byte[] bytes = pattern(200_000, 5);
            Data echoed = (Data) channel.call(new Write(0, List.of(), MemorySegment.ofArray(bytes)))
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertArrayEquals(bytes, echoed.data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(0, idleWhileHandling.get(), "the request's and the reply's buffers are in use until the send");
            awaitTrue(() -> pool.idleBuffers() == 2, "both buffers back in the pool after the reply");
        }
    }

    @Test
    void aDataReplyLandsInTheCallersSegmentAndOneTooLongFailsOnlyItsCall() throws Exception {
        RecordingHandler handler = new RecordingHandler(request -> {
            Read read = (Read) request;
            return new Data(MemorySegment.ofArray(pattern(read.length(), (int) read.offset())));
        });
        try (Served served = serve(handler, IoBuffers.shared());
                RpcChannel channel = new RpcChannel(served.client, cause -> { })) {
            MemorySegment small = Arena.ofAuto().allocate(512);
            ExecutionException tooLong = assertThrows(ExecutionException.class,
                    () -> channel.call(new Read(1, 1024), small).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            IOException cause = assertInstanceOf(IOException.class, tooLong.getCause());
            assertTrue(cause.getMessage().contains("a Data reply of 1024 bytes"), cause.getMessage());
            assertTrue(cause.getMessage().contains("exceeds the 512 bytes of its destination"), cause.getMessage());

            MemorySegment large = Arena.ofAuto().allocate(4096);
            Data reply = (Data) channel.call(new Read(2, 1024), large).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(channel.isOpen(), "the stream stayed in sync");
            assertEquals(large.address(), reply.data().address(), "read straight into the caller's segment");
            assertEquals(1024, reply.data().byteSize());
            assertArrayEquals(pattern(1024, 2), large.asSlice(0, 1024).toArray(ValueLayout.JAVA_BYTE));
            Data own = (Data) channel.call(new Read(3, 100)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertArrayEquals(pattern(100, 3), own.data().toArray(ValueLayout.JAVA_BYTE), "no destination: its own segment");
        }
    }

    /** A client connection and the server thread serving its peer end; close stops both. */
    private record Served(FramedConnection client, FramedConnection accepted, Thread server) implements AutoCloseable {
        @Override
        public void close() throws InterruptedException {
            client.close();
            accepted.close();
            server.join(TIMEOUT.toMillis());
        }
    }

    private static Served serve(RequestServer.Handler handler, IoBuffers buffers) throws IOException {
        try (ServerSocketChannel listening = ServerSocketChannel.open().bind(LOOPBACK)) {
            FramedConnection client = FramedConnection.connect((InetSocketAddress) listening.getLocalAddress(),
                    TIMEOUT);
            FramedConnection accepted = new FramedConnection(listening.accept().socket());
            Thread server = Thread.ofVirtual().start(() -> RequestServer.serve(accepted, handler, buffers));
            return new Served(client, accepted, server);
        }
    }

    private static Write write(long offset, int length, int seed) {
        return new Write(offset, List.of(seed), MemorySegment.ofArray(pattern(length, seed)));
    }

    private static byte[] pattern(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (i * 31 + seed);
        }
        return bytes;
    }

    private static void fill(MemorySegment segment, int seed) {
        MemorySegment.copy(pattern((int) segment.byteSize(), seed), 0, segment, ValueLayout.JAVA_BYTE, 0,
                (int) segment.byteSize());
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(1);
        }
    }
}
