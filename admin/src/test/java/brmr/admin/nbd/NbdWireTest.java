package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Both transmission wires over a real loopback socket pair: what the client sends arrives whole and in order. */
class NbdWireTest {
    private static final int TIMEOUT_MILLIS = 10_000;

    /** The plain channel wire and the stream wire TLS uses (here over the plain socket's streams). */
    enum Kind { CHANNEL, STREAM }

    private final IoBuffers pool = new IoBuffers(4 << 20);
    private ServerSocketChannel listener;
    private SocketChannel client;
    private SocketChannel server;

    @BeforeEach
    void connect() throws IOException {
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = SocketChannel.open(listener.getLocalAddress());
        server = listener.accept();
        client.socket().setSoTimeout(TIMEOUT_MILLIS);
        server.socket().setSoTimeout(TIMEOUT_MILLIS);
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        server.close();
        listener.close();
    }

    /** A wire on the server side that starts with {@code alreadyRead}, as after negotiation read ahead. */
    private NbdWire wire(Kind kind, byte[] alreadyRead) throws IOException {
        return switch (kind) {
            case CHANNEL -> new NbdChannelWire(server, alreadyRead);
            case STREAM -> new NbdStreamWire(
                    new DataInputStream(new SequenceInputStream(new ByteArrayInputStream(alreadyRead),
                            new BufferedInputStream(server.socket().getInputStream()))),
                    new DataOutputStream(new BufferedOutputStream(server.socket().getOutputStream())));
        };
    }

    private record Sent(NbdRequest request, byte[] payload) {
    }

    private static Sent write(long cookie, int length, Random random) {
        byte[] payload = new byte[length];
        random.nextBytes(payload);
        return new Sent(new NbdRequest(0, NbdCodec.CMD_WRITE, cookie, cookie * 4096, length), payload);
    }

    private static byte[] wireBytes(List<Sent> requests) {
        ByteBuffer buffer = ByteBuffer.allocate(requests.stream()
                .mapToInt(sent -> NbdCodec.REQUEST_HEADER_BYTES + sent.payload().length).sum());
        for (Sent sent : requests) {
            NbdCodec.encodeRequest(buffer, sent.request());
            buffer.put(sent.payload());
        }
        return buffer.array();
    }

    /** Sends from another thread, so that the test can read on the server side meanwhile. */
    private CompletableFuture<Void> sendAsync(byte[] bytes) {
        return CompletableFuture.runAsync(() -> {
            try {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    client.write(buffer);
                }
            } catch (IOException e) {
                throw new IllegalStateException("test client could not send", e);
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
    }

    private static byte[] contents(IoBuffer buffer) {
        return buffer.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    private IoBuffer filled(byte[] bytes) {
        IoBuffer buffer = pool.take(bytes.length);
        MemorySegment.copy(bytes, 0, buffer.segment(), ValueLayout.JAVA_BYTE, 0, bytes.length);
        return buffer;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void pipelinedWritesSplitBetweenReadAheadAndSocketArriveWhole(Kind kind) throws Exception {
        Random random = new Random(kind.ordinal());
        List<Sent> requests = List.of(write(1, 4096, random), write(2, 100_000, random), write(3, 512, random),
                write(4, 300_000, random), write(5, 4096, random),
                new Sent(new NbdRequest(0, NbdCodec.CMD_READ, 6, 0, 4096), new byte[0]));
        byte[] bytes = wireBytes(requests);
        // the read-ahead holds the first write whole and the second one's header and first bytes only
        int readAhead = 10_000;
        NbdWire wire = wire(kind, Arrays.copyOf(bytes, readAhead));
        CompletableFuture<Void> sent = sendAsync(Arrays.copyOfRange(bytes, readAhead, bytes.length));
        for (Sent expected : requests) {
            assertEquals(expected.request(), wire.readRequest());
            if (expected.payload().length > 0) {
                try (IoBuffer payload = pool.take(expected.payload().length)) {
                    wire.readPayload(payload.segment());
                    assertArrayEquals(expected.payload(), contents(payload), "payload of " + expected.request());
                }
            }
        }
        sent.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void skippedPayloadsKeepTheStreamInStep(Kind kind) throws Exception {
        Random random = new Random(7);
        Sent refused = write(1, 150_000, random);
        Sent small = write(2, 100, random);
        Sent next = write(3, 4096, random);
        NbdWire wire = wire(kind, new byte[0]);
        CompletableFuture<Void> sent = sendAsync(wireBytes(List.of(refused, small, next)));
        assertEquals(refused.request(), wire.readRequest());
        wire.skip(refused.payload().length);
        assertEquals(small.request(), wire.readRequest());
        wire.skip(small.payload().length);
        assertEquals(next.request(), wire.readRequest());
        try (IoBuffer payload = pool.take(next.payload().length)) {
            wire.readPayload(payload.segment());
            assertArrayEquals(next.payload(), contents(payload));
        }
        sent.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aClientThatHangsUpIsAnEndOfStreamAtAHeaderOrInAPayload(Kind kind) throws Exception {
        Sent cut = write(1, 8192, new Random(3));
        byte[] bytes = wireBytes(List.of(cut));
        NbdWire wire = wire(kind, new byte[0]);
        sendAsync(Arrays.copyOf(bytes, NbdCodec.REQUEST_HEADER_BYTES + 1000)).get(TIMEOUT_MILLIS,
                TimeUnit.MILLISECONDS);
        client.shutdownOutput();
        assertEquals(cut.request(), wire.readRequest());
        try (IoBuffer payload = pool.take(cut.payload().length)) {
            assertThrows(EOFException.class, () -> wire.readPayload(payload.segment()));
        }
        assertThrows(EOFException.class, wire::readRequest);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void repliesGoOutInOrderWithTheirDataAndGiveTheBuffersBack(Kind kind) throws Exception {
        Random random = new Random(11);
        byte[] small = new byte[4096];
        byte[] large = new byte[NbdReplyBatch.MAXIMUM_BYTES + 4096];
        random.nextBytes(small);
        random.nextBytes(large);
        NbdWire wire = wire(kind, new byte[0]);
        // the large reply fills the batch on its own, so the channel wire sends it before the flush
        CompletableFuture<Void> replied = CompletableFuture.runAsync(() -> {
            try {
                wire.reply(new NbdCodec.SimpleReply(0, 1), filled(small));
                wire.reply(new NbdCodec.SimpleReply(NbdCodec.EIO, 2), null);
                wire.reply(new NbdCodec.SimpleReply(0, 3), filled(large));
                wire.reply(new NbdCodec.SimpleReply(0, 4), null);
                wire.flush();
            } catch (IOException e) {
                throw new IllegalStateException("replies not sent", e);
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        DataInputStream in = new DataInputStream(new BufferedInputStream(client.socket().getInputStream()));
        assertEquals(new NbdCodec.SimpleReply(0, 1), NbdCodec.readSimpleReply(in));
        assertArrayEquals(small, in.readNBytes(small.length));
        assertEquals(new NbdCodec.SimpleReply(NbdCodec.EIO, 2), NbdCodec.readSimpleReply(in));
        assertEquals(new NbdCodec.SimpleReply(0, 3), NbdCodec.readSimpleReply(in));
        assertArrayEquals(large, in.readNBytes(large.length));
        assertEquals(new NbdCodec.SimpleReply(0, 4), NbdCodec.readSimpleReply(in));
        replied.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        assertEquals(2, pool.idleBuffers(), "both data buffers given back once sent");
    }

    @Test
    void queuedReplyDataIsHeldUntilTheFlushSendsIt() throws Exception {
        NbdWire wire = wire(Kind.CHANNEL, new byte[0]);
        byte[] data = new byte[4096];
        Arrays.fill(data, (byte) 0x5a);
        wire.reply(new NbdCodec.SimpleReply(0, 9), filled(data));
        assertEquals(0, pool.idleBuffers(), "a queued reply's data is still to be sent from its buffer");
        wire.flush();
        assertEquals(1, pool.idleBuffers());
        DataInputStream in = new DataInputStream(client.socket().getInputStream());
        assertEquals(new NbdCodec.SimpleReply(0, 9), NbdCodec.readSimpleReply(in));
        assertArrayEquals(data, in.readNBytes(data.length));
    }

    @Test
    void aFailedSendGivesTheBuffersBackAndDropsTheReplies() throws Exception {
        NbdWire wire = wire(Kind.CHANNEL, new byte[0]);
        wire.reply(new NbdCodec.SimpleReply(0, 1), filled(new byte[4096]));
        server.close();
        assertThrows(IOException.class, wire::flush);
        assertEquals(1, pool.idleBuffers());
        wire.flush();
    }

    @Test
    void manySmallRepliesGoOutInBatchesOfBoundedSizeAndTheirBuffersAreReused() throws Exception {
        NbdWire wire = wire(Kind.CHANNEL, new byte[0]);
        int replies = 2 * NbdReplyBatch.MAXIMUM_REPLIES + 5;
        for (int i = 0; i < replies; i++) {
            wire.reply(new NbdCodec.SimpleReply(0, i), filled(new byte[] {(byte) i}));
        }
        // full batches went out without a flush, so only the last five replies still hold their buffers
        assertEquals(NbdReplyBatch.MAXIMUM_REPLIES * (long) IoBuffers.MIN_CLASS_BYTES, pool.retainedBytes());
        assertEquals(NbdReplyBatch.MAXIMUM_REPLIES - 5, pool.idleBuffers());
        wire.flush();
        DataInputStream in = new DataInputStream(client.socket().getInputStream());
        for (int i = 0; i < replies; i++) {
            assertEquals(new NbdCodec.SimpleReply(0, i), NbdCodec.readSimpleReply(in));
            assertEquals((byte) i, in.readByte());
        }
        assertEquals(NbdReplyBatch.MAXIMUM_REPLIES, pool.idleBuffers());
    }

    @Test
    void headersRoundTripThroughDirectBuffers() throws IOException {
        NbdRequest request = new NbdRequest(NbdCodec.CMD_FLAG_FUA, NbdCodec.CMD_WRITE, -2, Long.MAX_VALUE,
                0xffffffffL);
        ByteBuffer buffer = ByteBuffer.allocateDirect(NbdCodec.REQUEST_HEADER_BYTES);
        NbdCodec.encodeRequest(buffer, request);
        assertEquals(NbdCodec.REQUEST_HEADER_BYTES, buffer.position());
        assertEquals(request, NbdCodec.decodeRequest(buffer.flip()));
        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        NbdCodec.writeRequest(new DataOutputStream(streamed), request);
        byte[] direct = new byte[NbdCodec.REQUEST_HEADER_BYTES];
        buffer.flip().get(direct);
        assertArrayEquals(streamed.toByteArray(), direct, "stream and buffer forms share one layout");

        NbdCodec.SimpleReply reply = new NbdCodec.SimpleReply(NbdCodec.ENOSPC, 0x0102030405060708L);
        ByteBuffer header = ByteBuffer.allocateDirect(NbdCodec.SIMPLE_REPLY_HEADER_BYTES);
        NbdCodec.encodeSimpleReply(header, reply);
        assertEquals(reply, NbdCodec.decodeSimpleReply(header.flip()));
        assertThrows(NbdProtocolException.class,
                () -> NbdCodec.decodeRequest(ByteBuffer.allocate(NbdCodec.REQUEST_HEADER_BYTES)));
    }
}
