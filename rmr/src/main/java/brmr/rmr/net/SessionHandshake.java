package brmr.rmr.net;

import brmr.rmr.SessionSecret;
import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.AuthChallenge;
import brmr.rmr.protocol.Message.AuthProof;
import brmr.rmr.protocol.Message.AuthStart;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.ProtocolException;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.protocol.SessionIdentity;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The mutual challenge-response that opens every session when the daemons share a {@link SessionSecret},
 * run on the connection before any other frame:
 * <pre>
 *   caller -> server  AuthStart(role, pool, session, member, nonce_c)
 *   server -> caller  AuthChallenge(nonce_s, HMAC(secret, "server" transcript))   caller checks it
 *   caller -> server  AuthProof(HMAC(secret, "caller" transcript))                  server checks it
 *   server -> caller  Ok
 * </pre>
 * The transcript ({@link RmrCodec#authTranscript}) covers both nonces and the whole identity; the two
 * directions use different labels, so a proof one side produced is never accepted from the other side.
 * Every refusal the server sends is the same {@link #REFUSAL} after the caller's proof, whether the
 * secret was wrong or the pool is not joined here; the reason goes only to the server's log.
 * It does not protect a session after the handshake from someone who can rewrite its packets: that is TLS's job.
 */
public final class SessionHandshake {
    /** How long either side waits for the whole handshake. */
    public static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** What a refused caller is told, whatever the reason. */
    public static final String REFUSAL = "authentication failed";
    static final int NONCE_BYTES = 32;
    static final String CALLER_LABEL = "brmr-auth-1 caller proof";
    static final String SERVER_LABEL = "brmr-auth-1 server proof";
    private static final long START_ID = 1;
    private static final long PROOF_ID = 2;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Closes connections whose handshake runs late; a finished handshake's deadline is removed at once. */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlines();

    private SessionHandshake() {
    }

    /**
     * The calling side: proves {@code identity} to the server and checks the server's proof. The
     * connection is closed when this throws.
     *
     * @throws AuthenticationException the server refused, could not prove it holds the secret, or took too long
     * @throws IOException the connection broke
     */
    public static void offer(FramedConnection connection, SessionSecret secret, SessionIdentity identity,
            Duration timeout) throws IOException {
        withDeadline(connection, timeout, () -> {
            AuthStart start = identity.start(nonce());
            connection.send(START_ID, start);
            Message reply = receive(connection);
            if (!(reply instanceof AuthChallenge challenge)) {
                throw new AuthenticationException(connection.peer() + " did not authenticate: " + describe(reply));
            }
            byte[] expected = secret.mac(RmrCodec.authTranscript(SERVER_LABEL, start, challenge.nonce()));
            if (challenge.nonce().length != NONCE_BYTES || !MessageDigest.isEqual(expected, challenge.proof())) {
                throw new AuthenticationException(connection.peer() + " could not prove it holds the secret");
            }
            connection.send(PROOF_ID, new AuthProof(secret.mac(RmrCodec.authTranscript(CALLER_LABEL, start,
                    challenge.nonce()))));
            Message verdict = receive(connection);
            if (!(verdict instanceof Message.Ok)) {
                throw new AuthenticationException(connection.peer() + " refused the session: " + describe(verdict));
            }
            return null;
        });
    }

    /**
     * The serving side: the caller must open with {@link AuthStart} and prove the secret; the pool it
     * names must pass {@code knownPool}. Returns the identity it proved. A refused caller is told
     * {@link #REFUSAL} (or, when it sent another frame first, that authentication is required) and the
     * connection is closed.
     *
     * @throws AuthenticationException why the caller was refused, for the log (the peer is named by the caller)
     * @throws IOException the connection broke
     */
    public static SessionIdentity accept(FramedConnection connection, SessionSecret secret,
            Predicate<String> knownPool, Duration timeout) throws IOException {
        return withDeadline(connection, timeout, () -> {
            Frame first = receiveFrame(connection);
            if (!(first.message() instanceof AuthStart start)) {
                refuse(connection, first.requestId(), "this node requires authentication before "
                        + first.message().getClass().getSimpleName() + " (start the peer with the shared --secret-file)");
                throw new AuthenticationException("sent " + first.message().getClass().getSimpleName()
                        + " without authenticating");
            }
            byte[] serverNonce = nonce();
            connection.send(first.requestId(), new AuthChallenge(serverNonce,
                    secret.mac(RmrCodec.authTranscript(SERVER_LABEL, start, serverNonce))));
            Frame second = receiveFrame(connection);
            String wrong = null;
            if (!(second.message() instanceof AuthProof proof)) {
                wrong = "answered the challenge with " + second.message().getClass().getSimpleName();
            } else if (start.nonce().length != NONCE_BYTES) {
                wrong = "sent a nonce of " + start.nonce().length + " bytes";
            } else if (!MessageDigest.isEqual(secret.mac(RmrCodec.authTranscript(CALLER_LABEL, start, serverNonce)),
                    proof.proof())) {
                wrong = "gave a wrong proof (another secret) for session " + start.session();
            } else if (!knownPool.test(start.pool())) {
                wrong = "named pool " + start.pool() + ", which is not joined here";
            }
            if (wrong != null) {
                refuse(connection, second.requestId(), REFUSAL);
                throw new AuthenticationException(wrong);
            }
            connection.send(second.requestId(), new Message.Ok());
            return SessionIdentity.of(start);
        });
    }

    private interface Step<T> {
        T run() throws IOException;
    }

    /** Runs {@code step}; closes the connection when it fails or outlasts {@code timeout}. */
    private static <T> T withDeadline(FramedConnection connection, Duration timeout, Step<T> step)
            throws IOException {
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> deadline = DEADLINES.schedule(() -> {
            expired.set(true);
            connection.close();
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        try {
            T result = step.run();
            deadline.cancel(false);
            if (expired.get()) {
                throw new AuthenticationException("no handshake within " + timeout.toMillis() + " ms");
            }
            return result;
        } catch (IOException | RuntimeException e) {
            deadline.cancel(false);
            connection.close();
            if (expired.get()) {
                throw new AuthenticationException("no handshake within " + timeout.toMillis() + " ms");
            }
            throw e;
        }
    }

    private static Message receive(FramedConnection connection) throws IOException {
        return receiveFrame(connection).message();
    }

    private static Frame receiveFrame(FramedConnection connection) throws IOException {
        try {
            return connection.receive();
        } catch (ProtocolException e) {
            // e.g. a frame larger than a handshake's: the stranger is told, as for any frame before authentication
            refuse(connection, 0, "this node requires authentication before anything else: " + e.getMessage());
            throw new AuthenticationException("broke the protocol during the handshake: " + e.getMessage());
        }
    }

    private static void refuse(FramedConnection connection, long requestId, String why) {
        try {
            connection.send(requestId, new Failure(Status.REFUSED, why));
        } catch (IOException e) {
            // the refused peer is gone already; the connection is closed next anyway
        }
    }

    private static String describe(Message reply) {
        return reply instanceof Failure failure ? failure.message() : reply.getClass().getSimpleName();
    }

    private static ScheduledThreadPoolExecutor deadlines() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().daemon().name("rmr-handshake-deadlines").factory());
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    private static byte[] nonce() {
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return nonce;
    }
}
