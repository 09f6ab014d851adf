package brmr.rmr.net;

import static brmr.rmr.net.RpcChannelTest.LOOPBACK;
import static brmr.rmr.net.RpcChannelTest.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ListenerTest {
    @Test
    void closeClosesTheAcceptedConnectionsAndStopsAccepting() throws Exception {
        CompletableFuture<FramedConnection> accepted = new CompletableFuture<>();
        ClosedRecorder onClosed = new ClosedRecorder();
        Listener listener = Listener.open(LOOPBACK, accepted::complete);
        InetSocketAddress address = listener.address();
        try (listener; RpcChannel channel = new RpcChannel(FramedConnection.connect(address, TIMEOUT), onClosed)) {
            FramedConnection serverSide = accepted.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(serverSide.isOpen(), "the consumer returned, the connection stays open");
            listener.close();
            assertFalse(serverSide.isOpen());
            assertInstanceOf(EOFException.class, onClosed.cause.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        }
        IOException refused = assertThrows(IOException.class, () -> FramedConnection.connect(address, TIMEOUT));
        assertTrue(refused.getMessage().startsWith("cannot connect to " + address.getHostString() + ":"
                + address.getPort()), refused.getMessage());
    }

    @Test
    void eachConnectionIsHandedOverOnItsOwnThread() throws Exception {
        CountDownLatch bothArrived = new CountDownLatch(2);
        try (Listener listener = Listener.open(LOOPBACK, connection -> {
            bothArrived.countDown();
            try {
                bothArrived.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
                FramedConnection first = FramedConnection.connect(listener.address(), TIMEOUT);
                FramedConnection second = FramedConnection.connect(listener.address(), TIMEOUT)) {
            assertTrue(bothArrived.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
                    "the second connection waited for the first consumer");
            assertTrue(first.isOpen() && second.isOpen());
        }
    }

    @Test
    void aPortInUseIsRefusedWithTheAddress() throws Exception {
        try (Listener listener = Listener.open(LOOPBACK, FramedConnection::close)) {
            assertNotEquals(0, listener.address().getPort());
            IOException refused = assertThrows(IOException.class,
                    () -> Listener.open(listener.address(), FramedConnection::close));
            assertTrue(refused.getMessage().startsWith("cannot listen for RMR sessions on "
                    + listener.address().getHostString() + ":" + listener.address().getPort()), refused.getMessage());
        }
    }

    @Test
    void closeIsIdempotent() throws Exception {
        Listener listener = Listener.open(LOOPBACK, FramedConnection::close);
        listener.close();
        listener.close();
        assertEquals(LOOPBACK.getAddress(), listener.address().getAddress());
    }
}
