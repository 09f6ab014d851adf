package brmr.rmr.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.SessionIdentity;
import java.io.EOFException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class LegConnectionTest {
    /**
     * A node that refuses a Hello and hangs up at once (as one with a secret does to a peer without it): the
     * hang-up may end the session before the caller's thread sees the answer, which still reaches the caller.
     */
    @Test
    void anAnswerFollowedAtOnceByAHangUpReachesTheCaller() throws Exception {
        Message.Failure refusal = new Message.Failure(Status.REFUSED, "this node requires authentication");
        AtomicReference<Consumer<Throwable>> hangUp = new AtomicReference<>();
        LegConnector connector = (address, timeout, identity, onClosed) -> {
            hangUp.set(onClosed);
            return new LegChannel() {
                @Override
                public CompletableFuture<Message> call(Message request) {
                    CompletableFuture<Message> answer = CompletableFuture.completedFuture(refusal);
                    hangUp.get().accept(new EOFException("the peer closed the connection"));
                    return answer;
                }

                @Override
                public void close() {
                }
            };
        };
        AtomicReference<Exception> ended = new AtomicReference<>();
        LegConnection connection = new LegConnection("s1", "127.0.0.1:7474", new PeerTimeout(Duration.ofSeconds(5)),
                ended::set);
        connection.open(connector, new InetSocketAddress("127.0.0.1", 7474), Duration.ofSeconds(1),
                new SessionIdentity(Message.Role.SYNC, "p1", "s1", 2));
        Message reply = connection.call(new Message.Ping()).get(10, TimeUnit.SECONDS);
        assertEquals(refusal, reply);
        assertFalse(connection.isOpen(), "the hang-up ended the session");
        assertEquals("session s1 to 127.0.0.1:7474 ended: the peer closed the connection", ended.get().getMessage());
    }
}
