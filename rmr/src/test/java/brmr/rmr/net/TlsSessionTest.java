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
import brmr.rmr.protocol.ProtocolException;
import brmr.rmr.tls.TestCertificates;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RMR connections over mutual TLS: frames travel, and a peer the CA did not sign never reaches the consumer. */
class TlsSessionTest {
    @TempDir
    Path dir;
    private TestCertificates certificates;
    private TransportSecurity node;

    @BeforeEach
    void certificates() throws Exception {
        certificates = TestCertificates.makeIn(dir);
        node = certificates.node();
    }

    @Test
    void framesTravelBothWaysOverMutualTls() throws Exception {
        CompletableFuture<FramedConnection> accepted = new CompletableFuture<>();
        try (Listener listener = Listener.open(LOOPBACK, node, accepted::complete);
                FramedConnection client = FramedConnection.connect(listener.address(), TIMEOUT, node)) {
            FramedConnection server = accepted.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            server.establish();
            client.send(7, new Data(MemorySegment.ofArray(new byte[1 << 20])));
            assertEquals(new Frame(7, new Data(MemorySegment.ofArray(new byte[1 << 20]))), server.receive());
            server.send(8, new Ok());
            assertEquals(new Frame(8, new Ok()), client.receive());
            assertEquals("127.0.0.1:" + listener.address().getPort(), client.peer());
        }
    }

    @Test
    void aPeerWhoseCertificateAnotherCaSignedIsRefused() throws Exception {
        CompletableFuture<FramedConnection> accepted = new CompletableFuture<>();
        try (Listener listener = Listener.open(LOOPBACK, node, accepted::complete)) {
            assertRefused(() -> {
                try (FramedConnection rogue = FramedConnection.connect(listener.address(), TIMEOUT,
                        certificates.rogue())) {
                    // TLS 1.3 clients finish first: the server's refusal arrives as an alert on the first read
                    rogue.send(1, new Ok());
                    rogue.receive();
                }
            });
            assertSessionStillServes(listener, accepted);
        }
    }

    @Test
    void aClientRefusesAServerWhoseCertificateAnotherCaSigned() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, certificates.rogue(), FramedConnection::close)) {
            IOException refused = assertThrows(IOException.class,
                    () -> FramedConnection.connect(listener.address(), TIMEOUT, node));
            assertTrue(refused.getMessage().startsWith("TLS handshake with " + listener.address().getHostString() + ":"
                    + listener.address().getPort()
                    + " failed: "), refused.getMessage());
        }
    }

    @Test
    void plainAndTlsPeersDoNotTalk() throws Exception {
        CompletableFuture<FramedConnection> accepted = new CompletableFuture<>();
        try (Listener listener = Listener.open(LOOPBACK, node, accepted::complete)) {
            assertRefused(() -> {
                try (FramedConnection plain = FramedConnection.connect(listener.address(), TIMEOUT)) {
                    plain.send(1, new Ok());
                    plain.receive();
                }
            });
            assertSessionStillServes(listener, accepted);
        }
        try (Listener plain = Listener.open(LOOPBACK, FramedConnection::close)) {
            assertThrows(IOException.class, () -> FramedConnection.connect(plain.address(), TIMEOUT, node));
        }
    }

    @Test
    void aSilentPeerDoesNotHoldUpTheNextHandshake() throws Exception {
        CompletableFuture<FramedConnection> accepted = new CompletableFuture<>();
        try (Listener listener = Listener.open(LOOPBACK, node, accepted::complete);
                Socket silent = new Socket(listener.address().getAddress(), listener.address().getPort())) {
            assertTrue(silent.isConnected());
            assertSessionStillServes(listener, accepted);
        }
    }

    private interface Attempt {
        void run() throws Exception;
    }

    /** The attempt fails on the client (a plain one reads the TLS alert as a bad frame). */
    private static void assertRefused(Attempt attempt) {
        Exception refused = assertThrows(Exception.class, attempt::run);
        assertTrue(refused instanceof IOException || refused instanceof ProtocolException, refused::toString);
    }

    /** A proper peer still gets through, and it is the first connection the consumer ever sees. */
    private void assertSessionStillServes(Listener listener, CompletableFuture<FramedConnection> accepted)
            throws Exception {
        try (FramedConnection client = FramedConnection.connect(listener.address(), TIMEOUT, node)) {
            client.send(2, new Ok());
            FramedConnection first = accepted.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(new Frame(2, new Ok()), first.receive(), "the first connection handed over is the proper one");
            assertFalse(accepted.isCompletedExceptionally());
        } catch (TimeoutException e) {
            throw new AssertionError("the proper peer was not handed over", e);
        }
    }
}
