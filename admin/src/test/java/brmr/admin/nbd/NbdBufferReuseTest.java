package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.device.IoBuffers;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The server's data buffers come from its pool and go back to it once a request is done, whatever its outcome. */
class NbdBufferReuseTest {
    private static final int SIZE = 4 << 20;
    private static final int BLOCK = 4096;

    /** Keeps every buffer for reuse, so a buffer not given back shows as one more retained. */
    private final IoBuffers pool = new IoBuffers(64 << 20);
    private NbdServer server;
    private RawNbdClient client;

    @AfterEach
    void stop() throws IOException {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private RawNbdClient transmitting(ByteArrayExport export) throws IOException {
        server = new NbdServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> List.of(export),
                NbdLimits.DEFAULT, NbdTlsMode.OFF, TransportSecurity.PLAIN, pool);
        server.start();
        client = new RawNbdClient(server.address());
        client.go(export.name());
        return client;
    }

    private static byte[] pattern(int length, int seed) {
        byte[] data = new byte[length];
        for (int i = 0; i < length; i++) {
            data[i] = (byte) (seed + i * 31);
        }
        return data;
    }

    @Test
    void sequentialWritesAndReadsReuseAFewBuffersAndGiveThemAllBack() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient nbd = transmitting(export);
        int rounds = 50;
        for (int i = 0; i < rounds; i++) {
            nbd.send(new NbdRequest(0, NbdCodec.CMD_WRITE, 2L * i, (long) i * BLOCK, BLOCK), pattern(BLOCK, i));
            assertEquals(new NbdCodec.SimpleReply(0, 2L * i), nbd.readReply());
            nbd.send(new NbdRequest(0, NbdCodec.CMD_READ, 2L * i + 1, (long) i * BLOCK, BLOCK));
            assertEquals(new NbdCodec.SimpleReply(0, 2L * i + 1), nbd.readReply());
            assertArrayEquals(pattern(BLOCK, i), nbd.readData(BLOCK));
        }
        // a request overlaps the previous one's give-back at most; a leak would make one buffer per request
        assertTrue(pool.retainedBytes() <= 8L * BLOCK, "buffers made for " + 2 * rounds + " requests: "
                + pool.retainedBytes() / BLOCK);
        awaitAllIdle();
    }

    @Test
    void pipelinedWritesThenReadsGetTheirOwnDataBackAndGiveEveryBufferBack() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient nbd = transmitting(export);
        int requests = 32;
        for (int i = 0; i < requests; i++) {
            nbd.send(new NbdRequest(0, NbdCodec.CMD_WRITE, i, (long) i * BLOCK, length(i)), pattern(length(i), i));
        }
        Set<Long> written = new HashSet<>();
        for (int replies = 0; replies < requests; replies++) {
            NbdCodec.SimpleReply reply = nbd.readReply();
            assertEquals(0, reply.error(), "error of write " + reply.cookie());
            written.add(reply.cookie());
        }
        assertEquals(requests, written.size());
        for (int i = 0; i < requests; i++) {
            nbd.send(new NbdRequest(0, NbdCodec.CMD_READ, requests + i, (long) i * BLOCK, length(i)));
        }
        // replies come in any order, each read's data right behind its header
        Set<Long> read = new HashSet<>();
        for (int replies = 0; replies < requests; replies++) {
            NbdCodec.SimpleReply reply = nbd.readReply();
            assertEquals(0, reply.error(), "error of read " + reply.cookie());
            int i = (int) reply.cookie() - requests;
            assertArrayEquals(pattern(length(i), i), nbd.readData(length(i)), "data of read " + i);
            read.add(reply.cookie());
        }
        assertEquals(requests, read.size());
        awaitAllIdle();
    }

    /** Full pages and single sectors, all in the pool's smallest class. */
    private static int length(int request) {
        return request % 3 == 0 ? 512 : BLOCK;
    }

    @Test
    void failedAndRefusedRequestsGiveEveryBufferBack() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient nbd = transmitting(export);
        export.failOnce(ByteArrayExport.Operation.READ, 0);
        nbd.send(new NbdRequest(0, NbdCodec.CMD_READ, 1, 0, BLOCK));
        assertEquals(new NbdCodec.SimpleReply(NbdCodec.EIO, 1), nbd.readReply());
        export.failOnce(ByteArrayExport.Operation.WRITE, 0);
        nbd.send(new NbdRequest(0, NbdCodec.CMD_WRITE, 2, 0, BLOCK), pattern(BLOCK, 2));
        assertEquals(new NbdCodec.SimpleReply(NbdCodec.EIO, 2), nbd.readReply());
        // beyond the end: refused before its data is read, which is skipped without a buffer
        nbd.send(new NbdRequest(0, NbdCodec.CMD_WRITE, 3, SIZE, 2 * BLOCK), pattern(2 * BLOCK, 3));
        assertEquals(new NbdCodec.SimpleReply(NbdCodec.ENOSPC, 3), nbd.readReply());
        nbd.send(new NbdRequest(0, NbdCodec.CMD_READ, 4, SIZE, 2 * BLOCK));
        assertEquals(new NbdCodec.SimpleReply(NbdCodec.EINVAL, 4), nbd.readReply());
        awaitAllIdle();
    }

    /**
     * Waits until every buffer the pool made is idle again (they go back after the reply is sent); the
     * requests of these tests are one page at most, so all buffers are of the smallest class.
     */
    private void awaitAllIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.idleBuffers() != pool.retainedBytes() / IoBuffers.MIN_CLASS_BYTES) {
            assertTrue(System.nanoTime() < deadline, "buffers not given back: " + pool.idleBuffers() + " idle of "
                    + pool.retainedBytes() / IoBuffers.MIN_CLASS_BYTES);
            Thread.sleep(5);
        }
    }
}
