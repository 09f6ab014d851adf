package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD_OPT_STARTTLS as the spec's FORCEDTLS (--nbd-tls require), SELECTIVETLS (optional) and NOTLS (off)
 * modes, spoken by a raw client and by libnbd's and QEMU's x509 clients.
 */
class NbdTlsTest {
    private static final int SIZE = 4 << 20;

    @TempDir
    Path certificates;
    @TempDir
    Path work;
    private TransportSecurity security;
    private NbdServer server;

    @BeforeEach
    void makeCertificates() throws Exception {
        ExternalTool.assumeInstalled("openssl");
        ExternalTool.Result made = ExternalTool.run("bash", Path.of("..", "scripts", "test-certs.sh").toString(),
                certificates.toString());
        assertEquals(0, made.exitCode(), made.toString());
        security = TransportSecurity.fromPem(certificates.resolve("node-cert.pem"),
                certificates.resolve("node-key.pem"), certificates.resolve("ca-cert.pem"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private InetSocketAddress serve(NbdTlsMode mode, NbdExport export) throws IOException {
        server = new NbdServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), () -> List.of(export),
                mode, security);
        server.start();
        return server.address();
    }

    private String tlsUri(InetSocketAddress address, String export, Path credentials) {
        return "nbds://127.0.0.1:" + address.getPort() + "/" + export + "?tls-certificates=" + credentials;
    }

    @Test
    void requiredTlsRefusesEveryOptionButStartTlsUntilTlsIsUp() throws Exception {
        InetSocketAddress address = serve(NbdTlsMode.REQUIRE, new ByteArrayExport("brmr0", SIZE));
        try (RawNbdClient client = new RawNbdClient(address)) {
            client.sendOption(NbdCodec.OPT_LIST, new byte[0]);
            NbdCodec.OptionReply list = client.readOptionReply();
            assertEquals(NbdCodec.REP_ERR_TLS_REQD, list.type());
            assertTrue(new String(list.data(), java.nio.charset.StandardCharsets.UTF_8).contains("NBD_OPT_STARTTLS"));
            client.sendOption(NbdCodec.OPT_STARTTLS, new byte[0]);
            assertEquals(NbdCodec.REP_ACK, client.readOptionReply().type());
        }
        try (RawNbdClient client = new RawNbdClient(address)) {
            client.sendOption(NbdCodec.OPT_EXPORT_NAME, NbdCodec.utf8("brmr0"));
            assertTrue(client.closedByServer(), "NBD_OPT_EXPORT_NAME cannot be refused, so the server hangs up");
        }
        try (RawNbdClient client = new RawNbdClient(address, NbdCodec.CLIENT_FLAG_NO_ZEROES)) {
            assertTrue(client.closedByServer(), "a client without fixed newstyle cannot start TLS");
        }
    }

    @Test
    void withoutTlsStartTlsIsUnsupported() throws Exception {
        server = new NbdServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                () -> List.of(new ByteArrayExport("brmr0", SIZE)));
        server.start();
        try (RawNbdClient client = new RawNbdClient(server.address())) {
            client.sendOption(NbdCodec.OPT_STARTTLS, new byte[0]);
            assertEquals(NbdCodec.REP_ERR_UNSUP, client.readOptionReply().type());
            client.sendOption(NbdCodec.OPT_LIST, new byte[0]);
            assertEquals(NbdCodec.REP_SERVER, client.readOptionReply().type(), "the session goes on in plain text");
        }
    }

    @Test
    void nbdinfoWithoutTlsIsRefusedWhenTlsIsRequired() throws Exception {
        ExternalTool.assumeInstalled("nbdinfo");
        InetSocketAddress address = serve(NbdTlsMode.REQUIRE, new ByteArrayExport("brmr0", SIZE));
        ExternalTool.Result plain = ExternalTool.run("nbdinfo", "nbd://127.0.0.1:" + address.getPort() + "/brmr0");
        assertNotEquals(0, plain.exitCode(), plain.toString());
        ExternalTool.Result tls = ExternalTool.run("nbdinfo", "--json", tlsUri(address, "brmr0", certificates));
        assertEquals(0, tls.exitCode(), tls.toString());
        assertTrue(tls.output().replaceAll("\\s", "").contains("\"export-size\":" + SIZE), tls.toString());
    }

    @Test
    void nbdcopyCopiesInAndOutOverTls() throws Exception {
        ExternalTool.assumeInstalled("nbdcopy");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        InetSocketAddress address = serve(NbdTlsMode.REQUIRE, export);
        byte[] random = new byte[SIZE];
        new Random(5).nextBytes(random);
        Path in = Files.write(work.resolve("in.img"), random);
        ExternalTool.Result copyIn = ExternalTool.run("nbdcopy", in.toString(), tlsUri(address, "brmr0", certificates));
        assertEquals(0, copyIn.exitCode(), copyIn.toString());
        assertArrayEquals(random, export.contents(0, SIZE));
        Path out = work.resolve("out.img");
        ExternalTool.Result copyOut = ExternalTool.run("nbdcopy", tlsUri(address, "brmr0", certificates),
                out.toString());
        assertEquals(0, copyOut.exitCode(), copyOut.toString());
        assertArrayEquals(random, Files.readAllBytes(out));
    }

    @Test
    void qemuIoWritesAndReadsOverTlsWithX509Credentials() throws Exception {
        ExternalTool.assumeInstalled("qemu-io");
        ByteArrayExport export = new ByteArrayExport("brmr0", SIZE);
        InetSocketAddress address = serve(NbdTlsMode.REQUIRE, export);
        ExternalTool.Result result = ExternalTool.run("qemu-io",
                "--object", "tls-creds-x509,id=tls0,dir=" + certificates + ",endpoint=client",
                "--image-opts", "driver=nbd,host=127.0.0.1,port=" + address.getPort() + ",export=brmr0,tls-creds=tls0",
                "-c", "write -P 0x5a 1M 64k", "-c", "read -P 0x5a 1M 64k");
        assertEquals(0, result.exitCode(), result.toString());
        assertFalse(result.output().contains("failed"), result.toString());
        byte[] expected = new byte[64 << 10];
        Arrays.fill(expected, (byte) 0x5a);
        assertArrayEquals(expected, export.contents(1 << 20, 64 << 10));
    }

    @Test
    void requiredTlsRefusesClientsWithoutACertificateTheCaSigned() throws Exception {
        ExternalTool.assumeInstalled("nbdinfo");
        InetSocketAddress address = serve(NbdTlsMode.REQUIRE, new ByteArrayExport("brmr0", SIZE));
        ExternalTool.Result rogue = ExternalTool.run("nbdinfo", tlsUri(address, "brmr0", rogueClient()));
        assertNotEquals(0, rogue.exitCode(), rogue.toString());
        ExternalTool.Result anonymous = ExternalTool.run("nbdinfo", tlsUri(address, "brmr0", anonymousClient()));
        assertNotEquals(0, anonymous.exitCode(), anonymous.toString());
    }

    /** Trusts the server's CA but holds a certificate another CA signed. */
    private Path rogueClient() throws IOException {
        Path rogue = Files.createDirectory(work.resolve("rogue"));
        Files.copy(certificates.resolve("ca-cert.pem"), rogue.resolve("ca-cert.pem"));
        Files.copy(certificates.resolve("rogue-cert.pem"), rogue.resolve("client-cert.pem"));
        Files.copy(certificates.resolve("rogue-key.pem"), rogue.resolve("client-key.pem"));
        return rogue;
    }

    /** Trusts the server's CA and has no certificate of its own. */
    private Path anonymousClient() throws IOException {
        Path anonymous = Files.createDirectory(work.resolve("anonymous"));
        Files.copy(certificates.resolve("ca-cert.pem"), anonymous.resolve("ca-cert.pem"));
        return anonymous;
    }

    @Test
    void optionalTlsServesPlainAndTlsClients() throws Exception {
        ExternalTool.assumeInstalled("nbdinfo");
        InetSocketAddress address = serve(NbdTlsMode.OPTIONAL, new ByteArrayExport("brmr0", SIZE));
        ExternalTool.Result plain = ExternalTool.run("nbdinfo", "--size", "nbd://127.0.0.1:" + address.getPort()
                + "/brmr0");
        assertEquals(0, plain.exitCode(), plain.toString());
        assertEquals(String.valueOf(SIZE), plain.output().strip());
        for (Path credentials : List.of(certificates, anonymousClient())) {
            ExternalTool.Result tls = ExternalTool.run("nbdinfo", "--size", tlsUri(address, "brmr0", credentials));
            assertEquals(0, tls.exitCode(), tls.toString());
            assertEquals(String.valueOf(SIZE), tls.output().strip());
        }
        ExternalTool.Result rogue = ExternalTool.run("nbdinfo", "--size", tlsUri(address, "brmr0", rogueClient()));
        assertEquals(0, rogue.exitCode(), "a certificate the CA did not sign is not sent, so the client is anonymous: "
                + rogue);
    }
}
