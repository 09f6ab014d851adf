package brmr.it;

import static brmr.it.Expect.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.RmrCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 500 hostile connections against live daemons while fio writes and verifies through NBD: per
 * storage node 110 connections that each send a 34-byte frame start declaring a 64 MiB Write, and
 * 90 with half headers, lengths over any limit, garbage or a handshake without the pool's secret (every
 * daemon runs with one); on the client's NBD port 100 that stall in or break the handshake. fio sees no error, no daemon's RSS reaches the heap cap the launchers
 * set (--max-memory, 1 GiB by default), and every hostile connection is closed by the daemons.
 */
class HostileConnectionsIT {
    private static final long MAPPED_SIZE = 131072;
    private static final int CHUNK = 131072;
    private static final long CAP_BYTES = 1L << 30;
    private static final int FIO_SECONDS = 30;
    /** Longer than the daemons' 10-second handshake timeout, with room for a busy machine. */
    private static final Duration ALL_CLOSED = Duration.ofSeconds(40);
    private static final long NBD_IHAVEOPT = 0x49484156454F5054L;
    private static final int NBD_OPT_GO = 7;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Fio.requireNbdEngine();
    }

    @Test
    void hostileConnectionsCostTheDaemonsNeitherMemoryNorTheirIo() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().withSecret()
                .start()) {
            Map<String, DaemonProcess> daemons = new LinkedHashMap<>();
            daemons.put("brmr-server 1", pool.daemon(1));
            daemons.put("brmr-server 2", pool.daemon(2));
            daemons.put("brmr-client", pool.client);
            RssPeaks peaks = new RssPeaks(daemons);
            Map<String, Long> before = peaks.sample();
            Fio.Report report;
            try (Fio fio = Fio.start(dir, "hostile", pool.nbdUri(), false, "--rw=randwrite", "--bsrange=4k-64k",
                    "--iodepth=16", "--size=" + MAPPED_SIZE * 512, "--verify=crc32c", "--verify_fatal=1",
                    "--verify_backlog=256", "--time_based", "--runtime=" + FIO_SECONDS, "--rate=16m");
                    HostileConnections hostile = new HostileConnections()) {
                eventually(Duration.ofSeconds(30), "fio's IO flowing", fio::progress, line -> fio.ioSeen());
                Random random = new Random(9);
                for (int member = 1; member <= 2; member++) {
                    InetSocketAddress rmr = pool.daemon(member).address("listen");
                    for (int i = 0; i < 110; i++) {
                        hostile.open(rmr, frameStartDeclaring64MiB());
                    }
                    for (int i = 0; i < 30; i++) {
                        hostile.open(rmr, halfHeader());
                        hostile.open(rmr, i % 2 == 0 ? headerDeclaring(0xffffffffL) : headerDeclaring(RmrCodec.MAX_PAYLOAD));
                        hostile.open(rmr, i % 3 == 0 ? garbage(random, 64) : handshakeWithoutTheSecret(random, i));
                    }
                }
                InetSocketAddress nbd = pool.client.address("nbd");
                for (int i = 0; i < 25; i++) {
                    hostile.open(nbd, new byte[0]);
                    hostile.open(nbd, new byte[] {0, 0});
                    hostile.open(nbd, nbdOptionDeclaring(0xffffffffL));
                    hostile.open(nbd, nbdOptionDeclaring(64 * 1024));
                }
                assertEquals(500, hostile.count());
                while (!fio.endsWithin(Duration.ofMillis(200))) {
                    peaks.sample();
                }
                report = fio.await(Duration.ofSeconds(FIO_SECONDS + 60));
                int open = hostile.openAfter(ALL_CLOSED);
                assertEquals(0, open, open + " hostile connections were still open after " + ALL_CLOSED);
            }
            Map<String, Long> after = peaks.sample();
            System.out.printf("[brmr tests] RSS under 500 hostile connections (cap %d MiB): before %s, peak %s, "
                    + "after %s; %s%n", CAP_BYTES >> 20, mib(before), mib(peaks.peaks()), mib(after), report);
            report.assertNoErrors();
            assertTrue(report.bytes("write") > 0, "fio wrote nothing: " + report);
            peaks.peaks().forEach((daemon, peak) -> assertTrue(peak < CAP_BYTES, daemon + " reached an RSS of "
                    + (peak >> 20) + " MiB, over the cap of " + (CAP_BYTES >> 20) + " MiB"));
            daemons.forEach((name, daemon) -> assertTrue(daemon.isAlive(), name + " died"));
        }
    }

    /** The 34 bytes of the attack: a Write's header declaring a 64 MiB payload, then its fields up to the data. */
    private static byte[] frameStartDeclaring64MiB() {
        byte[] bytes = new byte[34];
        System.arraycopy(headerDeclaring(RmrCodec.MAX_PAYLOAD), 0, bytes, 0, RmrCodec.HEADER_BYTES);
        ByteBuffer.wrap(bytes, RmrCodec.HEADER_BYTES, 14).putLong(0).putShort((short) 0).putInt(RmrCodec.MAX_DATA_BYTES);
        return bytes;
    }

    private static byte[] headerDeclaring(long payloadBytes) {
        byte[] frame = encode(new Message.Write(0, List.of(), MemorySegment.ofArray(new byte[0])));
        ByteBuffer.wrap(frame).putInt(16, (int) payloadBytes);
        return Arrays.copyOf(frame, RmrCodec.HEADER_BYTES);
    }

    /** A sync session's AuthStart followed at once by a proof made up without the secret. */
    private static byte[] handshakeWithoutTheSecret(Random random, int i) {
        byte[] start = encode(new Message.AuthStart(Message.Role.SYNC, i % 2 == 0 ? "p1" : "no-such-pool", "n9", 9,
                garbage(random, 32)));
        byte[] proof = encode(new Message.AuthProof(garbage(random, 32)));
        byte[] both = Arrays.copyOf(start, start.length + proof.length);
        System.arraycopy(proof, 0, both, start.length, proof.length);
        return both;
    }

    private static byte[] halfHeader() {
        return Arrays.copyOf(encode(new Message.Ping()), RmrCodec.HEADER_BYTES / 2);
    }

    private static byte[] encode(Message message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            RmrCodec.write(out, 1, message);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static byte[] garbage(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** Client flags, then the start of NBD_OPT_GO declaring {@code length} bytes of option data. */
    private static byte[] nbdOptionDeclaring(long length) {
        return ByteBuffer.allocate(20).putInt(3).putLong(NBD_IHAVEOPT).putInt(NBD_OPT_GO).putInt((int) length).array();
    }

    private static Map<String, Long> mib(Map<String, Long> bytes) {
        Map<String, Long> result = new LinkedHashMap<>();
        bytes.forEach((name, value) -> result.put(name, value >> 20));
        return result;
    }
}
