package brmr.rmr.client;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.RpcChannel;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.RmrCodec;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.tinylog.Logger;

/** The compute client's session to one storage node: one leg of the pool's replication. */
public final class Leg {
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final long MAX_BACKOFF_MILLIS = 1000;

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
    private volatile Message.JoinMode mode;
    private volatile SessionState state = SessionState.CREATED;
    private volatile RpcChannel channel;
    private volatile int memberId = -1;
    private volatile StoreParams params;
    private volatile boolean enabledOnce;
    private volatile String lastError;

    /** A leg of a compute client, or ({@code role} SYNC) a storage node's sync session to a peer. */
    public Leg(Message.Role role, int fromMember, String pool, String name, InetSocketAddress address, int chunkSize,
            Message.JoinMode mode) {
        this.role = role;
        this.fromMember = fromMember;
        this.pool = pool;
        this.name = name;
        this.address = address;
        this.chunkSize = chunkSize;
        this.mode = mode;
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

    boolean enabledOnce() {
        return enabledOnce;
    }

    public void state(SessionState next) {
        state = next;
    }

    void enabled() {
        enabledOnce = true;
        state = SessionState.NORMAL;
    }

    /** Connects and says Hello; on success the leg is CREATED. The Failure of a refused join is returned. */
    public Message.Failure connect(java.util.function.Consumer<Leg> onLost) throws IOException {
        FramedConnection connection = FramedConnection.connect(address, CONNECT_TIMEOUT);
        RpcChannel[] self = new RpcChannel[1];
        RpcChannel opened = new RpcChannel(connection, cause -> {
            if (channel == self[0]) {
                lastError = cause == null ? "connection closed" : cause.getMessage();
                onLost.accept(this);
            }
        });
        self[0] = opened;
        Message.JoinMode joinMode = params != null && params.mapped() ? Message.JoinMode.ASSEMBLE : mode;
        Message reply = opened.callAndWait(new Message.Hello(RmrCodec.VERSION, role, pool, name, joinMode, chunkSize,
                fromMember), REQUEST_TIMEOUT);
        switch (reply) {
            case Message.HelloOk ok -> {
                memberId = ok.memberId();
                params = ok.store();
                channel = opened;
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

    /** One request and its reply; a Failure reply is returned, a lost connection or timeout throws. */
    public Message call(Message request) throws IOException {
        RpcChannel current = channel;
        if (current == null) {
            throw new IOException("session " + name + " is not connected");
        }
        return current.callAndWait(request, REQUEST_TIMEOUT);
    }

    public CompletableFuture<Message> callAsync(Message request) {
        RpcChannel current = channel;
        if (current == null) {
            return CompletableFuture.failedFuture(new IOException("session " + name + " is not connected"));
        }
        return current.call(request).orTimeout(REQUEST_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    }

    void refreshParams(StoreParams fresh) {
        params = fresh;
    }

    /**
     * Marks the leg FAILED (once) and reconnects in the background until it is back, then runs
     * {@code rejoin}; gives up when {@code wanted} turns false.
     */
    public void failAndReconnect(String reason, java.util.function.Consumer<Leg> onLost, Rejoin rejoin,
            java.util.function.BooleanSupplier wanted) {
        synchronized (this) {
            if (state != SessionState.NORMAL && state != SessionState.CREATED) {
                return;
            }
            state = SessionState.FAILED;
            lastError = reason;
        }
        Logger.warn("pool {}: session {} to {} failed: {}", pool, name, where(), reason);
        disconnect();
        Thread.ofVirtual().name("reconnect-" + name).start(() -> reconnectLoop(onLost, rejoin, wanted));
    }

    private void reconnectLoop(java.util.function.Consumer<Leg> onLost, Rejoin rejoin,
            java.util.function.BooleanSupplier wanted) {
        long backoff = 50;
        state = SessionState.RECONNECTING;
        while (wanted.getAsBoolean() && state == SessionState.RECONNECTING) {
            try {
                Message.Failure refused = connect(onLost);
                if (refused == null) {
                    rejoin.run(this);
                    Logger.info("pool {}: session {} is back ({})", pool, name, state);
                    return;
                }
                Logger.debug("pool {}: {} refused the rejoin of {}: {}", pool, where(), name, refused.message());
            } catch (IOException | PoolException e) {
                lastError = e.getMessage();
                disconnect();
                state = SessionState.RECONNECTING;
            }
            try {
                Thread.sleep(backoff);
            } catch (InterruptedException e) {
                return;
            }
            backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
        }
    }

    public void disconnect() {
        RpcChannel current = channel;
        channel = null;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public String toString() {
        return name + "(" + where() + ", member " + memberId + ", " + state + ")";
    }
}
