package brmr.rmr.client;

import brmr.rmr.SessionSecret;
import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.RpcChannel;
import brmr.rmr.net.SessionHandshake;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.SessionIdentity;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Opens the channel a leg's session runs over: TCP in the daemons, in-process fakes in tests. */
@FunctionalInterface
public interface LegConnector {
    /**
     * Connects to {@code address} as {@code identity}; {@code onClosed} runs once when the channel ends by
     * itself or is closed.
     *
     * @throws IOException the storage node cannot be reached, or refused or failed the authentication
     */
    LegChannel open(InetSocketAddress address, Duration connectTimeout, SessionIdentity identity,
            Consumer<Throwable> onClosed) throws IOException;

    /** RMR sessions over plain TCP without authentication. */
    LegConnector TCP = tcp(TransportSecurity.PLAIN, null);

    /**
     * RMR sessions over TCP protected by {@code security} (e.g. mutual TLS); with a {@code secret} every
     * session first proves it holds the secret and checks that the storage node does
     * ({@link SessionHandshake}), else the connection is closed.
     */
    static LegConnector tcp(TransportSecurity security, SessionSecret secret) {
        return (address, connectTimeout, identity, onClosed) -> {
            FramedConnection connection = FramedConnection.connect(address, connectTimeout, security);
            if (secret != null) {
                SessionHandshake.offer(connection, secret, identity, SessionHandshake.TIMEOUT);
            }
            RpcChannel channel = new RpcChannel(connection, onClosed);
            return new LegChannel() {
                @Override
                public CompletableFuture<Message> call(Message request) {
                    return channel.call(request);
                }

                @Override
                public CompletableFuture<Message> call(Message request, MemorySegment replyData) {
                    return channel.call(request, replyData);
                }

                @Override
                public void close() {
                    channel.close();
                }

                @Override
                public boolean authenticated() {
                    return secret != null;
                }
            };
        };
    }
}
