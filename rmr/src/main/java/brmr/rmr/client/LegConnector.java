package brmr.rmr.client;

import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.RpcChannel;
import brmr.rmr.protocol.Message;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Opens the channel a leg's session runs over: TCP in the daemons, in-process fakes in tests. */
@FunctionalInterface
public interface LegConnector {
    /**
     * Connects to {@code address}; {@code onClosed} runs once when the channel ends by itself or is closed.
     *
     * @throws IOException the storage node cannot be reached
     */
    LegChannel open(InetSocketAddress address, Duration connectTimeout, Consumer<Throwable> onClosed)
            throws IOException;

    /** RMR sessions over plain TCP. */
    LegConnector TCP = tcp(TransportSecurity.PLAIN);

    /** RMR sessions over TCP protected by {@code security} (e.g. mutual TLS). */
    static LegConnector tcp(TransportSecurity security) {
        return (address, connectTimeout, onClosed) -> channel(new RpcChannel(
                FramedConnection.connect(address, connectTimeout, security), onClosed));
    }

    private static LegChannel channel(RpcChannel channel) {
        return new LegChannel() {
            @Override
            public CompletableFuture<Message> call(Message request) {
                return channel.call(request);
            }

            @Override
            public void close() {
                channel.close();
            }
        };
    }
}
