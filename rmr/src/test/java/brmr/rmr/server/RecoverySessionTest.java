package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.RpcChannel;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.RmrCodec;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The recovery requests over a real session: GetRecovery on both roles, InService and ActivityResolved on compute only. */
class RecoverySessionTest {
    private static final int CHUNK = 4096;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final UUID POOL_UUID = UUID.fromString("11111111-2222-4333-8444-555555555555");

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(new StoreParams("p1", 1, 64, CHUNK, 512, true,
            POOL_UUID));
    private PoolServer server;
    private RpcChannel compute;
    private RpcChannel sync;

    @AfterEach
    void tearDown() throws Exception {
        for (RpcChannel channel : new RpcChannel[] {compute, sync}) {
            if (channel != null) {
                channel.close();
            }
        }
        if (server != null) {
            server.close();
        }
    }

    private RpcChannel session(Message.Hello hello) throws Exception {
        RpcChannel channel = new RpcChannel(FramedConnection.connect(server.address(), TIMEOUT), cause -> { });
        assertInstanceOf(Message.HelloOk.class, channel.callAndWait(hello, TIMEOUT));
        return channel;
    }

    @Test
    void recoveryRequestsAreAnsweredOnTheirSessions() throws Exception {
        pools.join("p1", 1, CHUNK);
        pools.register("p1", store, RegisterMode.ADD);
        server = PoolServer.start(new InetSocketAddress("127.0.0.1", 0), pools);
        compute = session(new Message.Hello(RmrCodec.VERSION, Message.Role.COMPUTE, "p1", "s1",
                Message.JoinMode.ASSEMBLE, CHUNK, 0, new Message.Writer(UUID.randomUUID(), 0, false)));
        sync = session(new Message.Hello(RmrCodec.VERSION, Message.Role.SYNC, "p1", "n2", Message.JoinMode.ASSEMBLE, CHUNK, 2));

        assertEquals(new Message.Ok(), compute.callAndWait(new Message.InService(4, List.of(1, 2)), TIMEOUT));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.Enable(), TIMEOUT));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.Write(CHUNK, List.of(), MemorySegment.ofArray(new byte[512])),
                TIMEOUT));
        Message.RecoveryState state = new Message.RecoveryState(0, 4, List.of(1, 2), new long[] {1});
        assertEquals(state, compute.callAndWait(new Message.GetRecovery(), TIMEOUT));
        assertEquals(state, sync.callAndWait(new Message.GetRecovery(), TIMEOUT));

        Message.Failure stale = assertInstanceOf(Message.Failure.class,
                compute.callAndWait(new Message.InService(4, List.of(1)), TIMEOUT));
        assertEquals(new Message.Failure(Status.REFUSED, "map version 4 is not newer than version 4 of pool p1 on "
                + "member 1"), stale);
        for (Message computeOnly : List.of(new Message.InService(5, List.of(1)), new Message.ActivityResolved())) {
            Message.Failure refused = assertInstanceOf(Message.Failure.class, sync.callAndWait(computeOnly, TIMEOUT));
            assertEquals(Status.PROTOCOL, refused.status());
        }
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.ActivityResolved(), TIMEOUT));
        assertEquals(state, sync.callAndWait(new Message.GetRecovery(), TIMEOUT), "chunk 1 was written since the last "
                + "resolve: it stays active");
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.ActivityResolved(), TIMEOUT));
        assertEquals(new Message.RecoveryState(0, 4, List.of(1, 2), new long[0]),
                sync.callAndWait(new Message.GetRecovery(), TIMEOUT));
    }
}
