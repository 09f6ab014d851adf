package brmr.rmr.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.SessionSecret;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.AuthChallenge;
import brmr.rmr.protocol.Message.AuthProof;
import brmr.rmr.protocol.Message.AuthStart;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Role;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.protocol.SessionIdentity;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The mutual challenge-response over real connections: who gets in, who does not, and what each is told. */
class SessionHandshakeTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final SessionIdentity SYNC = new SessionIdentity(Role.SYNC, "p1", "stg-rmr2@stg-rmr1", 2);

    /** What the server side of the current test returned or threw. */
    private final CompletableFuture<SessionIdentity> accepted = new CompletableFuture<>();
    private Listener listener;

    @AfterEach
    void tearDown() {
        if (listener != null) {
            listener.close();
        }
    }

    private static SessionSecret secret(String text) {
        return new SessionSecret(text.getBytes(StandardCharsets.UTF_8));
    }

    /** A server that authenticates every connection with {@code secret}, knowing only pool p1. */
    private InetSocketAddress server(SessionSecret secret, Duration timeout) throws IOException {
        listener = Listener.open(LOOPBACK, connection -> {
            try {
                accepted.complete(SessionHandshake.accept(connection, secret, "p1"::equals, timeout));
            } catch (IOException e) {
                accepted.completeExceptionally(e);
            }
        });
        return listener.address();
    }

    private Throwable serverRefusal() throws Exception {
        return assertThrows(ExecutionException.class, () -> accepted.get(10, TimeUnit.SECONDS)).getCause();
    }

    @Test
    void theSameSecretAuthenticatesBothWaysAndTheServerLearnsTheIdentity() throws Exception {
        InetSocketAddress address = server(secret("0123456789abcdef-one"), TIMEOUT);
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            SessionHandshake.offer(connection, secret("0123456789abcdef-one"), SYNC, TIMEOUT);
            assertTrue(connection.isOpen());
        }
        assertEquals(SYNC, accepted.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aCallerRefusesAServerWithAnotherSecretBeforeProvingAnything() throws Exception {
        InetSocketAddress address = server(secret("0123456789abcdef-one"), TIMEOUT);
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            AuthenticationException refused = assertThrows(AuthenticationException.class,
                    () -> SessionHandshake.offer(connection, secret("0123456789abcdef-two"), SYNC, TIMEOUT));
            assertTrue(refused.getMessage().endsWith("could not prove it holds the secret"), refused.getMessage());
            assertFalse(connection.isOpen());
        }
        assertInstanceOf(EOFException.class, serverRefusal());
    }

    @Test
    void aWrongProofIsRefusedAndTheConnectionClosed() throws Exception {
        InetSocketAddress address = server(secret("0123456789abcdef-one"), TIMEOUT);
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            AuthChallenge challenge = start(connection, SYNC.start(new byte[32]));
            SessionSecret wrong = secret("0123456789abcdef-two");
            Message verdict = call(connection, new AuthProof(wrong.mac(RmrCodec.authTranscript(
                    SessionHandshake.CALLER_LABEL, SYNC.start(new byte[32]), challenge.nonce()))));
            assertEquals(new Failure(Status.REFUSED, SessionHandshake.REFUSAL), verdict);
            assertThrows(EOFException.class, connection::receive);
        }
        assertTrue(serverRefusal().getMessage().contains("wrong proof"));
    }

    @Test
    void theServersOwnProofReflectedBackIsRefused() throws Exception {
        InetSocketAddress address = server(secret("0123456789abcdef-one"), TIMEOUT);
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            AuthChallenge challenge = start(connection, SYNC.start(new byte[32]));
            assertEquals(new Failure(Status.REFUSED, SessionHandshake.REFUSAL),
                    call(connection, new AuthProof(challenge.proof())));
        }
        assertTrue(serverRefusal().getMessage().contains("wrong proof"));
    }

    @Test
    void aProofForOneServerNonceDoesNotOpenAnotherConnection() throws Exception {
        SessionSecret shared = secret("0123456789abcdef-one");
        InetSocketAddress address = server(shared, TIMEOUT);
        AuthStart start = SYNC.start(new byte[32]);
        try (FramedConnection first = FramedConnection.connect(address, TIMEOUT);
                FramedConnection second = FramedConnection.connect(address, TIMEOUT)) {
            AuthChallenge one = start(first, start);
            AuthChallenge two = start(second, start);
            assertFalse(Arrays.equals(one.nonce(), two.nonce()), "every challenge has a fresh nonce");
            byte[] replayed = shared.mac(RmrCodec.authTranscript(SessionHandshake.CALLER_LABEL, start, one.nonce()));
            assertEquals(new Failure(Status.REFUSED, SessionHandshake.REFUSAL),
                    call(second, new AuthProof(replayed)));
        }
    }

    @Test
    void anUnknownPoolGetsTheSameAnswerAsAWrongSecret() throws Exception {
        SessionSecret shared = secret("0123456789abcdef-one");
        InetSocketAddress address = server(shared, TIMEOUT);
        AuthStart unknownPool = new SessionIdentity(Role.SYNC, "nosuchpool", "s", 2).start(new byte[32]);
        Message unknownAnswer;
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            AuthChallenge challenge = start(connection, unknownPool);
            unknownAnswer = call(connection, new AuthProof(shared.mac(RmrCodec.authTranscript(
                    SessionHandshake.CALLER_LABEL, unknownPool, challenge.nonce()))));
        }
        assertTrue(serverRefusal().getMessage().contains("not joined here"));
        Message wrongSecretAnswer;
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            start(connection, SYNC.start(new byte[32]));
            wrongSecretAnswer = call(connection, new AuthProof(new byte[32]));
        }
        assertEquals(new Failure(Status.REFUSED, SessionHandshake.REFUSAL), unknownAnswer);
        assertEquals(unknownAnswer, wrongSecretAnswer);
    }

    @Test
    void aFrameBeforeTheAuthenticationIsRefusedUnanswered() throws Exception {
        InetSocketAddress address = server(secret("0123456789abcdef-one"), TIMEOUT);
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            Message reply = call(connection, new Message.ReadChunk(0));
            Failure refused = assertInstanceOf(Failure.class, reply);
            assertEquals(Status.REFUSED, refused.status());
            assertTrue(refused.message().startsWith("this node requires authentication before ReadChunk"),
                    refused.message());
            assertThrows(EOFException.class, connection::receive);
        }
        assertEquals("sent ReadChunk without authenticating", serverRefusal().getMessage());
    }

    @Test
    void aCallerThatStaysSilentIsCutOffAtTheDeadline() throws Exception {
        InetSocketAddress address = server(secret("0123456789abcdef-one"), Duration.ofMillis(200));
        try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
            assertEquals("no handshake within 200 ms", serverRefusal().getMessage());
            assertThrows(EOFException.class, connection::receive);
        }
    }

    @Test
    void aCallerWithASecretRefusesAServerThatDoesNotAuthenticate() throws Exception {
        listener = Listener.open(LOOPBACK, connection -> RequestServer.serve(connection, new RecordingHandler(
                request -> new Failure(Status.PROTOCOL, "the first request of a session must be Hello"))));
        try (FramedConnection connection = FramedConnection.connect(listener.address(), TIMEOUT)) {
            AuthenticationException refused = assertThrows(AuthenticationException.class,
                    () -> SessionHandshake.offer(connection, secret("0123456789abcdef-one"), SYNC, TIMEOUT));
            assertTrue(refused.getMessage().contains("did not authenticate"), refused.getMessage());
            assertFalse(connection.isOpen());
        }
    }

    /**
     * Prints what an authenticated connection costs over a plain one on loopback: connect, one round trip
     * (a Ping answered with Ok, or the whole handshake), close. No assertion on speed.
     */
    @Test
    void handshakeCost() throws Exception {
        SessionSecret shared = secret("0123456789abcdef-one");
        listener = Listener.open(LOOPBACK, connection -> {
            try {
                SessionHandshake.accept(connection, shared, "p1"::equals, TIMEOUT);
            } catch (IOException e) {
                accepted.completeExceptionally(e);
            } finally {
                // a listener holds its open connections against its cap
                connection.close();
            }
        });
        double authenticated = microsPerConnection(listener.address(),
                connection -> SessionHandshake.offer(connection, shared, SYNC, TIMEOUT));
        assertFalse(accepted.isDone(), "no handshake failed");
        try (Listener plain = Listener.open(LOOPBACK, connection -> RequestServer.serve(connection,
                new RecordingHandler(request -> new Message.Ok())))) {
            double baseline = microsPerConnection(plain.address(), connection -> {
                connection.send(1, new Message.Ping());
                assertEquals(new Message.Ok(), connection.receive().message());
            });
            System.out.printf("handshake cost: %.0f us per authenticated connection, %.0f us per plain one with a "
                    + "Ping round trip: %.0f us for the handshake (loopback, %d rounds after as many warm-up)%n",
                    authenticated, baseline, authenticated - baseline, ROUNDS);
        }
    }

    private static final int ROUNDS = 300;

    private interface Opening {
        void run(FramedConnection connection) throws Exception;
    }

    private static double microsPerConnection(InetSocketAddress address, Opening opening) throws Exception {
        long started = 0;
        for (int i = 0; i < ROUNDS * 2; i++) {
            if (i == ROUNDS) {
                started = System.nanoTime();
            }
            try (FramedConnection connection = FramedConnection.connect(address, TIMEOUT)) {
                opening.run(connection);
            }
        }
        return (System.nanoTime() - started) / 1e3 / ROUNDS;
    }

    private static AuthChallenge start(FramedConnection connection, AuthStart start) throws Exception {
        return assertInstanceOf(AuthChallenge.class, call(connection, start));
    }

    private static Message call(FramedConnection connection, Message request) throws Exception {
        connection.send(1, request);
        return connection.receive().message();
    }
}
