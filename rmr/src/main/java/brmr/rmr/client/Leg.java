package brmr.rmr.client;

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

    Leg(String pool, String name, InetSocketAddress address, int chunkSize, Message.JoinMode mode) {
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

    void state(SessionState next) {
        state = next;
    }

    void enabled() {
        enabledOnce = true;
        state = SessionState.NORMAL;
    }

    /** Connects and says Hello; on success the leg is CREATED. The Failure of a refused join is returned. */
    Message.Failure connect(java.util.function.Consumer<Leg> onLost) throws IOException {
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
        Message reply = opened.callAndWait(new Message.Hello(RmrCodec.VERSION, Message.Role.COMPUTE, pool, name,
                joinMode, chunkSize, -1), REQUEST_TIMEOUT);
        switch (reply) {
            case Message.HelloOk ok -> {
                memberId = ok.memberId();
                params = ok.store();
                channel = opened;
                state = SessionState.CREATED;
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
    Message call(Message request) throws IOException {
        RpcChannel current = channel;
        if (current == null) {
            throw new IOException("session " + name + " is not connected");
        }
        return current.callAndWait(request, REQUEST_TIMEOUT);
    }

    CompletableFuture<Message> callAsync(Message request) {
        RpcChannel current = channel;
        if (current == null) {
            return CompletableFuture.failedFuture(new IOException("session " + name + " is not connected"));
        }
        return current.call(request).orTimeout(REQUEST_TIMEOUT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    }

    void refreshParams(StoreParams fresh) {
        params = fresh;
    }

    void failed(String reason) {
        lastError = reason;
    }

    void disconnect() {
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
