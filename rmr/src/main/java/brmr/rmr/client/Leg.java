package brmr.rmr.client;

import brmr.rmr.IoStats;
import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.protocol.SessionIdentity;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.tinylog.Logger;

/**
 * A session to one storage node: one leg of a compute client's pool, or a storage node's sync
 * session to a peer. It outlives its connections: when one fails the leg is FAILED, reconnects in
 * the background with a back-off (0.5 s doubling to 30 s, or at once on {@link #reconnectNow()}),
 * and logs each change of state once, not each attempt.
 */
public final class Leg {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** What a pool does once a failed leg is connected again (e.g. a map update and enable). */
    @FunctionalInterface
    public interface Rejoin {
        void run(Leg leg) throws IOException, PoolException;
    }

    private final Message.Role role;
    private final int fromMember;
    private final String pool;
    private final String name;
    private final InetSocketAddress address;
    private final int chunkSize;
    private final Message.JoinMode mode;
    private final LegConnector connector;
    private final PeerTimeout timeout;
    /** The compute client this leg writes for; null for a sync session. */
    private final ClientWriter writer;
    /** Set by {@code add_sess ... force=1}; only the first connect takes the pool over, never a reconnect. */
    private volatile boolean force;
    private volatile long writerEpoch;
    private volatile SessionState state = SessionState.CREATED;
    private volatile LegConnection connection;
    private volatile int memberId = -1;
    private volatile StoreParams params;
    private volatile boolean enabledOnce;
    private volatile String lastError;
    private final IoStats ioStats = new IoStats();
    /** Guarded by this: at most one reconnect loop per leg. */
    private Thread reconnecting;
    /** Guarded by this: set by {@link #reconnectNow()} to cut the loop's back-off short. */
    private boolean wakeUp;

    /** A storage node's sync session to a peer. */
    public Leg(int fromMember, String pool, String name, InetSocketAddress address, int chunkSize,
            LegConnector connector, PeerTimeout timeout) {
        this(Message.Role.SYNC, fromMember, pool, name, address, chunkSize, Message.JoinMode.ASSEMBLE, connector,
                timeout, null, false);
    }

    /** A leg of a compute client that writes as {@code writer}; {@code force} takes the pool over on the first connect. */
    Leg(String pool, String name, InetSocketAddress address, int chunkSize, Message.JoinMode mode,
            LegConnector connector, PeerTimeout timeout, ClientWriter writer, boolean force) {
        this(Message.Role.COMPUTE, -1, pool, name, address, chunkSize, mode, connector, timeout, writer, force);
    }

    private Leg(Message.Role role, int fromMember, String pool, String name, InetSocketAddress address, int chunkSize,
            Message.JoinMode mode, LegConnector connector, PeerTimeout timeout, ClientWriter writer, boolean force) {
        this.role = role;
        this.fromMember = fromMember;
        this.pool = pool;
        this.name = name;
        this.address = address;
        this.chunkSize = chunkSize;
        this.mode = mode;
        this.connector = connector;
        this.timeout = timeout;
        this.writer = writer;
        this.force = force;
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** The address as an operator writes it: host:port. */
    public String where() {
        return address.getHostString() + ":" + address.getPort();
    }

    public SessionState state() {
        return state;
    }

    /** The storage node's member id in the pool, -1 until it has answered once. */
    public int memberId() {
        return memberId;
    }

    public StoreParams params() {
        return params;
    }

    public String lastError() {
        return lastError;
    }

    /** The block IO the compute client sent over this leg. */
    public IoStats ioStats() {
        return ioStats;
    }

    /** The writer epoch the storage node had recorded when this leg last joined. */
    long writerEpoch() {
        return writerEpoch;
    }

    boolean enabledOnce() {
        return enabledOnce;
    }

    public void state(SessionState next) {
        state = next;
    }

    /** Sets {@code next} if the leg is in {@code expected}, atomically with {@link #failAndReconnect}. */
    synchronized boolean changeState(SessionState expected, SessionState next) {
        if (state != expected) {
            return false;
        }
        state = next;
        return true;
    }

    /** Whether the current connection proved the shared secret both ways; false while not connected. */
    public boolean authenticated() {
        LegConnection current = connection;
        return current != null && current.authenticated();
    }

    /** Whether a connection is open (a leg in maintenance may keep its own or lose it). */
    boolean connected() {
        return connection != null;
    }

    void enabled() {
        enabledOnce = true;
        state = SessionState.NORMAL;
    }

    void refreshParams(StoreParams fresh) {
        params = fresh;
    }

    /** Connects and says Hello; on success the leg is CREATED (a sync leg NORMAL). A refused join's Failure is returned. */
    public Message.Failure connect(Consumer<Leg> onLost) throws IOException {
        LegConnection[] self = new LegConnection[1];
        LegConnection opened = new LegConnection(name, where(), timeout, cause -> {
            if (connection == self[0]) {
                lastError = cause.getMessage();
                onLost.accept(this);
            }
        });
        self[0] = opened;
        opened.open(connector, address, CONNECT_TIMEOUT, new SessionIdentity(role, pool, name, fromMember));
        Message.JoinMode joinMode = params != null && params.mapped() ? Message.JoinMode.ASSEMBLE : mode;
        Message reply;
        try {
            reply = await(opened.call(new Message.Hello(RmrCodec.VERSION, role, pool, name, joinMode, chunkSize,
                    fromMember, writer == null ? null : writer.hello(force))));
        } catch (IOException e) {
            opened.close();
            throw e;
        }
        switch (reply) {
            case Message.HelloOk ok -> {
                memberId = ok.memberId();
                params = ok.store();
                writerEpoch = ok.writerEpoch();
                force = false;
                connection = opened;
                state = role == Message.Role.SYNC ? SessionState.NORMAL : SessionState.CREATED;
                lastError = null;
                Logger.info("pool {}: session {} to {} joined member {} ({})", pool, name, where(), memberId,
                        joinMode);
                return null;
            }
            case Message.Failure failure -> {
                opened.close();
                lastError = failure.message();
                return failure;
            }
            default -> {
                opened.close();
                throw new IOException(where() + " answered Hello with " + reply.getClass().getSimpleName());
            }
        }
    }

    /** One request and its reply; a Failure reply is returned, a lost session or a timeout throws. */
    public Message call(Message request) throws IOException {
        return await(callAsync(request));
    }

    /**
     * As {@link #call(Message)}, a {@link Message.Data} reply read straight into {@code replyData} (its
     * {@code data()} is {@code replyData} sliced to the length received; a longer reply fails the call).
     * When this returns or throws (but for an interrupt), the session no longer touches {@code replyData}.
     */
    public Message call(Message request, MemorySegment replyData) throws IOException {
        return await(callAsync(request, replyData));
    }

    /** The reply to come; fails when the session ends first, which the peer timeout bounds. */
    public CompletableFuture<Message> callAsync(Message request) {
        return callAsync(request, null);
    }

    /** As {@link #callAsync(Message)} with {@link #call(Message, MemorySegment)}'s {@code replyData} (null: none). */
    public CompletableFuture<Message> callAsync(Message request, MemorySegment replyData) {
        LegConnection current = connection;
        if (current == null) {
            return CompletableFuture.failedFuture(new IOException("session " + name + " to " + where()
                    + " is not connected (" + state + ")"));
        }
        return current.call(request, replyData);
    }

    /** Waits for a reply; the connection's watchdog ends it within timeout + heartbeat, this bound is a backstop. */
    private Message await(CompletableFuture<Message> reply) throws IOException {
        Duration limit = timeout.timeout().multipliedBy(2).plus(timeout.heartbeat()).plusSeconds(1);
        try {
            return reply.get(limit.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.toString(), cause);
        } catch (TimeoutException e) {
            disconnect();
            throw new IOException("session " + name + " to " + where() + ": no answer in " + limit.toSeconds()
                    + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("session " + name + ": interrupted while waiting for a reply");
        }
    }

    /**
     * Marks the leg FAILED (once, logged once) and reconnects in the background until it is back,
     * then runs {@code rejoin}; gives up when {@code wanted} turns false. A leg in maintenance only
     * drops its connection: it comes back when the operator enables it.
     */
    public void failAndReconnect(String reason, Consumer<Leg> onLost, Rejoin rejoin, BooleanSupplier wanted) {
        synchronized (this) {
            boolean loopRunning = reconnecting != null && reconnecting.isAlive() && state != SessionState.NORMAL;
            if (state == SessionState.REMOVING || state == SessionState.FAILED || state == SessionState.MAINTENANCE
                    || loopRunning) {
                lastError = reason;
                disconnect();
                return;
            }
            state = SessionState.FAILED;
            lastError = reason;
            reconnecting = Thread.ofVirtual().name("reconnect-" + name).unstarted(() ->
                    reconnectLoop(onLost, rejoin, wanted));
        }
        Logger.warn("pool {}: session {} to {} failed: {}; reconnecting in the background", pool, name, where(),
                reason);
        disconnect();
        reconnecting.start();
    }

    /** {@code reconnect} written while the leg waits between attempts: try now, and from a short back-off again. */
    public synchronized boolean reconnectNow() {
        if (reconnecting == null || !reconnecting.isAlive()) {
            return false;
        }
        wakeUp = true;
        notifyAll();
        return true;
    }

    private void reconnectLoop(Consumer<Leg> onLost, Rejoin rejoin, BooleanSupplier wanted) {
        Duration backoff = FIRST_BACKOFF;
        String logged = lastError;
        state = SessionState.RECONNECTING;
        while (true) {
            if (!sleep(backoff)) {
                backoff = FIRST_BACKOFF;
            } else if (backoff.compareTo(MAX_BACKOFF.dividedBy(2)) <= 0) {
                backoff = backoff.multipliedBy(2);
            } else {
                backoff = MAX_BACKOFF;
            }
            if (!wanted.getAsBoolean() || state == SessionState.REMOVING) {
                return;
            }
            String why;
            try {
                Message.Failure refused = connect(onLost);
                if (refused == null) {
                    rejoin.run(this);
                    Logger.info("pool {}: session {} to {} is back ({})", pool, name, where(), state);
                    return;
                }
                if (refused.status() == Message.Status.FENCED) {
                    state = SessionState.FAILED;
                    lastError = refused.message();
                    Logger.error("pool {}: session {} to {} stops reconnecting: {}", pool, name, where(),
                            refused.message());
                    return;
                }
                why = "refused: " + refused.message();
            } catch (IOException | PoolException e) {
                why = e.getMessage();
            }
            disconnect();
            if (state == SessionState.REMOVING) {
                return;
            }
            state = SessionState.RECONNECTING;
            lastError = why;
            if (!why.equals(logged)) {
                Logger.info("pool {}: session {} to {} not back yet: {}", pool, name, where(), why);
                logged = why;
            }
        }
    }

    /** Waits out the back-off; false when {@link #reconnectNow()} cut it short. */
    private synchronized boolean sleep(Duration backoff) {
        long deadline = System.nanoTime() + backoff.toNanos();
        try {
            while (!wakeUp) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return true;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            state = SessionState.REMOVING;
            return true;
        }
        wakeUp = false;
        return false;
    }

    /** Ends the current connection, if any; its requests in flight fail. */
    public void disconnect() {
        LegConnection current = connection;
        connection = null;
        if (current != null) {
            current.close();
        }
    }

    /** Stops the leg for good: no reconnect from now on. */
    public void remove() {
        Thread loop;
        synchronized (this) {
            state = SessionState.REMOVING;
            loop = reconnecting;
            notifyAll();
        }
        disconnect();
        if (loop != null) {
            loop.interrupt();
        }
    }

    @Override
    public String toString() {
        return name + "(" + where() + ", member " + memberId + ", " + state + ")";
    }
}
