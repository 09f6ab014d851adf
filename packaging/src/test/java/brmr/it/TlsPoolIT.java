package brmr.it;

import static brmr.it.Expect.eventually;
import static brmr.it.Expect.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-leg pool whose every RMR session (the client's legs and the nodes' sync sessions) runs mutual TLS 1.3,
 * exported with --nbd-tls require to nbdcopy and qemu-io; plain and rogue peers are refused.
 */
class TlsPoolIT {
    private static final long MAPPED_SIZE = 40960;
    private static final int CHUNK = 131072;

    @TempDir
    Path dir;
    private TlsCredentials tls;

    @BeforeEach
    void credentials() throws Exception {
        Qemu.requireTools("qemu-io", "nbdcopy", "nbdinfo");
        tls = TlsCredentials.makeIn(dir.resolve("certs"));
    }

    private LocalPool start() throws Exception {
        return LocalPool.setup(dir, "p1", 2, MAPPED_SIZE, CHUNK).syncSessions()
                .serverOptions(tls.daemonOptions())
                .clientOptions(tls.daemonOptions("--nbd-tls", "require"))
                .start();
    }

    @Test
    void ioThroughTheTlsExportReachesBothLegsOverTls() throws Exception {
        try (LocalPool pool = start()) {
            String uri = pool.nbdUri();
            assertTrue(uri.startsWith("nbds://127.0.0.1:") && uri.endsWith("/brmr0"), uri);
            for (int member = 1; member <= 2; member++) {
                assertEquals("normal", pool.read(member, "state"));
                assertEquals("normal", pool.sessionState(member));
            }
            eventually(Duration.ofSeconds(30), "the sync sessions run", () -> pool.syncSessionState(1, 2) + " "
                    + pool.syncSessionState(2, 1), "normal normal"::equals);

            tls.qemuIo(uri, "write -P 0x61 0 1M", "write -P 0x62 7M 512k", "write -z 12M 1M");
            tls.qemuIo(uri, "read -P 0x61 0 1M", "read -P 0x62 7M 512k", "read -P 0 12M 1M");
            byte[] expected = new byte[CHUNK];
            Arrays.fill(expected, (byte) 0x61);
            assertArrayEquals(expected, pool.chunk(2, 3), "the write reached the second leg");

            byte[] random = new byte[(int) (MAPPED_SIZE * 512)];
            new Random(17).nextBytes(random);
            Path in = Files.write(dir.resolve("in.img"), random);
            CommandResult copyIn = Commands.run(List.of("nbdcopy", in.toString(), tls.libnbdUri(uri)));
            assertEquals(0, copyIn.exit(), copyIn::toString);
            Path out = dir.resolve("out.img");
            CommandResult copyOut = Commands.run(List.of("nbdcopy", tls.libnbdUri(uri), out.toString()));
            assertEquals(0, copyOut.exit(), copyOut::toString);
            assertArrayEquals(random, Files.readAllBytes(out), "nbdcopy read back what it wrote");
            assertEquals(List.of(), pool.differingChunks(1, 2), "both legs' data areas are byte-identical");
            assertArrayEquals(Arrays.copyOfRange(random, 5 * CHUNK, 6 * CHUNK), pool.chunk(1, 5));

            CommandResult plain = Commands.run(List.of("nbdinfo", uri.replace("nbds://", "nbd://")));
            assertNotEquals(0, plain.exit(), "a plain NBD client is refused: " + plain);
            CommandResult secure = Commands.run(List.of("nbdinfo", "--size", tls.libnbdUri(uri)));
            assertEquals(String.valueOf(MAPPED_SIZE * 512), ok(secure).strip());
        }
    }

    @Test
    void peersWithoutACertificateTheCaSignedGetNoSession() throws Exception {
        try (LocalPool pool = start()) {
            String leg = "path=ip:127.0.0.1:" + pool.node(1).port;
            try (DaemonProcess rogue = DaemonProcess.client(dir.resolve("rogue"), tls.rogueOptions());
                    DaemonProcess plain = DaemonProcess.client(dir.resolve("plain"))) {
                for (DaemonProcess stranger : List.of(rogue, plain)) {
                    ok(stranger.ctl("write", "rmr-client/ctl/join_pool", "poolname=p1 chunk_size=" + CHUNK));
                    CommandResult refused = stranger.ctl("write", "rmr-client/pools/p1/add_sess",
                            "sessname=x " + leg + " mode=assemble");
                    assertEquals(1, refused.exit(), refused::toString);
                    assertTrue(refused.err().contains("path: cannot reach 127.0.0.1:" + pool.node(1).port),
                            refused::toString);
                }
            }
            assertEquals("normal", pool.sessionState(1), "the proper client's session is untouched");
            tls.qemuIo(pool.nbdUri(), "write -P 0x71 0 64k", "read -P 0x71 0 64k");
        }
    }

    @Test
    void daemonsRefuseIncompleteOrMismatchedCredentialsNamingTheOption() {
        String cert = tls.file("node-cert.pem").toString();
        String key = tls.file("node-key.pem").toString();
        String ca = tls.file("ca-cert.pem").toString();
        assertRefusedAtStart("brmr-server", "brmr-server: --tls-key: missing; --tls-cert needs all of --tls-cert, "
                + "--tls-key and --tls-ca", "--tls-cert", cert, "--tls-ca", ca);
        assertRefusedAtStart("brmr-client", "brmr-client: --tls-key: " + tls.file("client-key.pem")
                + ": does not match the certificate in " + cert, "--tls-cert", cert, "--tls-key",
                tls.file("client-key.pem").toString(), "--tls-ca", ca);
        assertRefusedAtStart("brmr-server", "brmr-server: --tls-ca: " + dir.resolve("absent.pem") + ": no such file",
                "--tls-cert", cert, "--tls-key", key, "--tls-ca", dir.resolve("absent.pem").toString());
        assertRefusedAtStart("brmr-client", "brmr-client: --nbd-tls: require needs --tls-cert, --tls-key and "
                + "--tls-ca", "--nbd-tls", "require");
        assertRefusedAtStart("brmr-client", "brmr-client: --nbd-tls: 'sometimes' is not off, optional or require",
                "--nbd-tls", "sometimes", "--tls-cert", cert, "--tls-key", key, "--tls-ca", ca);
    }

    private void assertRefusedAtStart(String program, String error, String... options) {
        List<String> command = Commands.of(Image.launcher(program).toString(), "--state-dir",
                dir.resolve("refused").toString());
        command.addAll(List.of(options));
        CommandResult result = Commands.run(command);
        assertEquals(2, result.exit(), result::toString);
        assertEquals(error + "\n", result.err(), result::toString);
        assertEquals("", result.out(), result::toString);
    }
}
