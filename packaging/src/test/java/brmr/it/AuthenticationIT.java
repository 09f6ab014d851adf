package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Role;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.RmrCodec;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pool whose daemons all run with {@code --secret-file}: it serves IO through NBD with every session
 * authenticated, and a stranger on the network speaking RMR without the secret (a raw socket and
 * RmrCodec, as an attacker's script would) can neither read, nor write, nor change a dirty map.
 */
class AuthenticationIT {
    private static final long MAPPED_SIZE = 65536;
    private static final int CHUNK = 131072;
    private static final long FIRST_MISSED = 20;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.requireTools("qemu-io");
    }

    @Test
    void aPoolWithSecretsWorksAndAStrangerCanNeitherReadNorWriteNorChangeAMap() throws Exception {
        try (LocalPool pool = LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions().withSecret().start()) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x5a 0 4M", "read -P 0x5a 0 4M");
            // member 2 in maintenance misses writes: node 1's map of member 2 is what a ChunksClean would erase
            String s2 = "rmr-client/pools/p1/sessions/s2/";
            ok(pool.client.ctl("write", s2 + "enable", "0"));
            Qemu.io(uri, "write -P 0x42 " + FIRST_MISSED * CHUNK + " 256k");
            assertTrue(MapSummaryText.parse(pool.read(1, "map_summary")).get(2).contains(FIRST_MISSED),
                    pool.read(1, "map_summary"));
            assertEveryServedSessionAuthenticated(pool);

            List<String> summaries = List.of(pool.read(1, "map_summary"), pool.read(2, "map_summary"));
            byte[] chunk0 = pool.chunk(1, 0);
            byte[] missed = pool.chunk(1, FIRST_MISSED);
            byte[] lacking = pool.chunk(2, FIRST_MISSED);
            for (LocalPool.Node node : pool.nodes) {
                for (List<Message> attack : attacks()) {
                    assertRefusedWithoutTheSecret(node.port, attack);
                }
                assertRefusedWithAWrongSecret(node.port, "p1");
                assertRefusedWithAWrongSecret(node.port, "nosuchpool");
            }
            assertEquals(summaries, List.of(pool.read(1, "map_summary"), pool.read(2, "map_summary")),
                    "no dirty map changed");
            assertArrayEquals(chunk0, pool.chunk(1, 0), "no write landed on node 1");
            assertArrayEquals(lacking, pool.chunk(2, FIRST_MISSED), "node 2 still lacks what it missed");
            assertArrayEquals(missed, pool.chunk(1, FIRST_MISSED));
            String log = Files.readString(pool.node(1).stateDir.resolve("brmr-server.log"));
            assertTrue(log.contains("WARN") && log.contains("RMR connection from 127.0.0.1:")
                    && log.contains("refused, authentication failed: gave a wrong proof"), "failures are logged");

            ok(pool.client.ctl("write", s2 + "enable", "1"));
            Qemu.io(uri, "read -P 0x5a 0 2M", "read -P 0x42 " + FIRST_MISSED * CHUNK + " 256k");
            assertEveryServedSessionAuthenticated(pool);
        }
    }

    @Test
    void aClientWithoutTheSecretOrWithAnotherOneIsRefused() throws Exception {
        Path secret = LocalPool.writeSecret(dir.resolve("secret"));
        Path other = LocalPool.writeSecret(dir.resolve("other-secret"));
        int port = DaemonProcess.freePort();
        try (TestDisk disk = TestDisk.create(dir, "disk1", LocalPool.diskBytes(MAPPED_SIZE, CHUNK));
                DaemonProcess server = DaemonProcess.storage(dir.resolve("node1"), port, "--secret-file",
                        secret.toString());
                DaemonProcess plain = DaemonProcess.client(dir.resolve("plain"));
                DaemonProcess wrong = DaemonProcess.client(dir.resolve("wrong"), "--secret-file", other.toString())) {
            ok(server.ctl("write", "rmr-server/ctl/join_pool", "poolname=p1 member_id=1 chunk_size=" + CHUNK));
            ok(server.ctl("write", "brmr-server/ctl/create_store", "device=" + disk.path() + " pool=p1 "
                    + "mapped_size=" + MAPPED_SIZE));
            String addSession = "sessname=s1 path=ip:127.0.0.1:" + port + " mode=create";
            ok(plain.ctl("write", "rmr-client/ctl/join_pool", "poolname=p1 chunk_size=" + CHUNK));
            CommandResult refused = plain.ctl("write", "rmr-client/pools/p1/add_sess", addSession);
            assertEquals(1, refused.exit(), refused::toString);
            assertTrue(refused.err().contains("this node requires authentication before Hello"), refused::toString);
            ok(wrong.ctl("write", "rmr-client/ctl/join_pool", "poolname=p1 chunk_size=" + CHUNK));
            refused = wrong.ctl("write", "rmr-client/pools/p1/add_sess", addSession);
            assertEquals(1, refused.exit(), refused::toString);
            assertTrue(refused.err().contains("could not prove it holds the secret"), refused::toString);
            assertEquals("registered", ok(server.ctl("read", "rmr-server/pools/p1/state")).strip(),
                    "no session joined");
        }
    }

    @Test
    void daemonsRefuseToStartExposedOrWithAnUnsafeSecret() throws Exception {
        Path secret = LocalPool.writeSecret(dir.resolve("secret"));
        assertStartRefused("brmr-server: --listen 0.0.0.0: a non-loopback address needs --secret-file or the "
                + "--tls-* credentials (or --insecure to let anyone on the network in)", "brmr-server", "--listen",
                "0.0.0.0:0");
        assertStartRefused("brmr-client: --nbd 0.0.0.0: NBD clients authenticate only with --nbd-tls require; a "
                + "non-loopback address needs that or --insecure (anyone who reaches it reads and writes the device)",
                "brmr-client", "--nbd",
                "0.0.0.0:0", "--secret-file", secret.toString());
        Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
        assertStartRefused("brmr-server: --secret-file: " + secret + " is readable or writable by group or others "
                + "(rw-r-----); chmod 600 it", "brmr-server", "--secret-file", secret.toString());
        Path tooShort = dir.resolve("short");
        Files.writeString(tooShort, "tiny\n");
        Files.setPosixFilePermissions(tooShort, PosixFilePermissions.fromString("rw-------"));
        assertStartRefused("brmr-client: --secret-file: " + tooShort + ": the secret is 4 bytes, it needs 16..4096",
                "brmr-client", "--secret-file", tooShort.toString());
        assertStartRefused("brmr-server: --secret-file: " + dir.resolve("missing") + " does not exist",
                "brmr-server", "--secret-file", dir.resolve("missing").toString());
    }

    private void assertStartRefused(String error, String program, String... args) {
        List<String> command = Commands.of(Image.launcher(program).toString(), "--state-dir",
                dir.resolve("refused-" + program).toString());
        command.addAll(List.of(args));
        CommandResult result = Commands.run(command);
        assertEquals(2, result.exit(), result::toString);
        assertEquals(error + "\n", result.err(), result::toString);
        assertTrue(Files.notExists(dir.resolve("refused-" + program)), "a refused daemon creates no state");
    }

    /** What an attacker sends, each list on one fresh connection, pipelined without waiting for answers. */
    private static List<List<Message>> attacks() {
        Message.Hello sync = new Message.Hello(RmrCodec.VERSION, Role.SYNC, "p1", "stg-rmr9@stg-rmr1",
                Message.JoinMode.ASSEMBLE, CHUNK, 2);
        Message.Hello compute = new Message.Hello(RmrCodec.VERSION, Role.COMPUTE, "p1", "s1",
                Message.JoinMode.ASSEMBLE, CHUNK, -1, new Message.Writer(UUID.randomUUID(), 0, false));
        byte[] data = new byte[CHUNK];
        Arrays.fill(data, (byte) 0x66);
        List<Message> writes = List.of(new Message.Write(0, List.of(), MemorySegment.ofArray(data)),
                new Message.MarkDirty(List.of(1, 2, 900), 0, 255),
                new Message.ChunksClean(2, new long[] {FIRST_MISSED, FIRST_MISSED + 1}),
                new Message.MapUpdate(new Message.Maps(256, List.of(new Message.MemberMap(2, new long[4])))));
        List<List<Message>> attacks = new ArrayList<>();
        attacks.add(List.of(sync, new Message.ReadChunk(0)));
        attacks.add(List.of(new Message.ReadChunk(0)));
        attacks.add(List.of(new Message.Read(0, 4096)));
        for (Message write : writes) {
            attacks.add(List.of(sync, write));
            attacks.add(List.of(compute, write));
            attacks.add(List.of(write));
        }
        return attacks;
    }

    /** The first frame is refused as unauthenticated, nothing else is answered, and the node hangs up. */
    private static void assertRefusedWithoutTheSecret(int port, List<Message> attack) throws Exception {
        Socket socket = new Socket("127.0.0.1", port);
        Thread attacker;
        try {
            // written on another thread: the node hangs up after the first frame, and the rest may find the pipe broken
            attacker = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = new BufferedOutputStream(socket.getOutputStream());
                    for (int i = 0; i < attack.size(); i++) {
                        RmrCodec.write(out, i + 1, attack.get(i));
                    }
                    out.flush();
                } catch (IOException e) {
                    // the node closed the connection: what is left of the attack is not read
                }
            });
            InputStream in = new BufferedInputStream(socket.getInputStream());
            Frame answer = read(in);
            Message.Failure refused = assertInstanceOf(Message.Failure.class, answer.message(), attack::toString);
            assertEquals(Status.REFUSED, refused.status());
            String type = attack.getFirst().getClass().getSimpleName();
            assertTrue(refused.message().startsWith("this node requires authentication before " + type)
                    || refused.message().startsWith("this node requires authentication before anything else: " + type
                            + " payload of"), refused.message());
            assertThrows(EOFException.class, () -> read(in), "no other answer: " + attack);
        } finally {
            socket.close();
        }
        attacker.join();
    }

    /** A stranger that guesses a proof is told only that authentication failed, for a known or unknown pool alike. */
    private static void assertRefusedWithAWrongSecret(int port, String pool) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            RmrCodec.write(out, 1, new Message.AuthStart(Role.SYNC, pool, "stg-rmr9@stg-rmr1", 2, new byte[32]));
            out.flush();
            assertInstanceOf(Message.AuthChallenge.class, read(in).message());
            RmrCodec.write(out, 2, new Message.AuthProof(new byte[32]));
            RmrCodec.write(out, 3, new Message.ReadChunk(0));
            out.flush();
            assertEquals(new Frame(2, new Message.Failure(Status.REFUSED, "authentication failed")), read(in));
            assertThrows(EOFException.class, () -> read(in));
        }
    }

    private static Frame read(InputStream in) throws IOException {
        try {
            return RmrCodec.read(in);
        } catch (brmr.rmr.protocol.ProtocolException e) {
            throw new AssertionError("the node sent something that is not a frame: " + e.getMessage(), e);
        } catch (java.net.SocketException e) {
            // a reset after the node closed is a hang-up too
            throw new EOFException(e.getMessage());
        }
    }

    @SuppressWarnings("unchecked")
    private static void assertEveryServedSessionAuthenticated(LocalPool pool) throws IOException {
        Map<String, Object> client = JSON.std.mapFrom(ok(pool.client.ctl("--json", "status")));
        for (Object s : (List<Object>) ((Map<String, Object>) ((List<Object>) client.get("pools")).getFirst())
                .get("sessions")) {
            Map<String, Object> session = (Map<String, Object>) s;
            if ("normal".equals(session.get("state"))) {
                assertEquals(true, session.get("authenticated"), session::toString);
            }
        }
        for (LocalPool.Node node : pool.nodes) {
            eventually(Duration.ofSeconds(30), "node " + node.member + "'s sessions listed as authenticated",
                    () -> ok(node.daemon.ctl("--json", "status")),
                    status -> status.contains("\"served_sessions\":[{") && !status.contains("\"authenticated\":false"));
        }
        String table = ok(pool.node(1).daemon.ctl("status"));
        assertTrue(table.contains("AUTH") && table.contains("served sync") && table.contains("yes"), table);
    }
}
