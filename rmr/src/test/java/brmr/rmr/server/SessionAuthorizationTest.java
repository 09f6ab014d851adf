package brmr.rmr.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.SessionSecret;
import brmr.rmr.tls.TransportSecurity;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.RpcChannel;
import brmr.rmr.net.SessionHandshake;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Role;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.protocol.SessionIdentity;
import java.lang.foreign.MemorySegment;
import java.io.EOFException;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a storage node lets each session do over real sessions: nothing before the shared secret is
 * proven, sync sessions only from other members and only about themselves, map changes only for members
 * of the pool and only from the writer; refusals name no other session.
 */
class SessionAuthorizationTest {
    private static final int CHUNK = 4096;
    /** 64 sectors of 512 bytes in chunks of 4096. */
    private static final long CHUNKS = 8;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final UUID POOL_UUID = UUID.fromString("11111111-2222-4333-8444-555555555555");
    private static final SessionSecret SECRET = new SessionSecret("a shared secret of the test"
            .getBytes(StandardCharsets.UTF_8));
    private static final UUID CLIENT_A = new UUID(0xA, 1);

    private final ServerPools pools = new ServerPools();
    private final MemoryPoolStore store = new MemoryPoolStore(new StoreParams("p1", 1, 64, CHUNK, 512, true,
            POOL_UUID));
    private final List<AutoCloseable> opened = new ArrayList<>();
    private PoolServer server;
    private RpcChannel compute;

    /** Pool p1 on member 1, mapped, with members 1 and 2 in service and chunk 3 dirty for member 2. */
    @BeforeEach
    void servingPool() throws Exception {
        pools.join("p1", 1, CHUNK);
        pools.register("p1", store, RegisterMode.ADD);
        server = PoolServer.start(new InetSocketAddress("127.0.0.1", 0), pools, TransportSecurity.PLAIN, SECRET);
        compute = session(computeHello("s1", CLIENT_A));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.InService(1, List.of(1, 2)), TIMEOUT));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.Enable(), TIMEOUT));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.MarkDirty(List.of(2), 3, 3), TIMEOUT));
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable channel : opened) {
            channel.close();
        }
        server.close();
    }

    private static Message.Hello computeHello(String session, UUID client) {
        return new Message.Hello(RmrCodec.VERSION, Role.COMPUTE, "p1", session, Message.JoinMode.ASSEMBLE, CHUNK, -1,
                new Message.Writer(client, 0, false));
    }

    private static Message.Hello syncHello(String session, int member) {
        return new Message.Hello(RmrCodec.VERSION, Role.SYNC, "p1", session, Message.JoinMode.ASSEMBLE, CHUNK, member);
    }

    /** An authenticated channel that said {@code hello}; the reply is left to the caller. */
    private RpcChannel authenticated(SessionIdentity identity) throws Exception {
        FramedConnection connection = FramedConnection.connect(server.address(), TIMEOUT);
        SessionHandshake.offer(connection, SECRET, identity, TIMEOUT);
        RpcChannel channel = new RpcChannel(connection, cause -> { });
        opened.add(channel);
        return channel;
    }

    private RpcChannel session(Message.Hello hello) throws Exception {
        RpcChannel channel = authenticated(SessionIdentity.of(hello));
        assertInstanceOf(Message.HelloOk.class, channel.callAndWait(hello, TIMEOUT));
        return channel;
    }

    private Message.Failure refusedHello(Message.Hello hello) throws Exception {
        return assertInstanceOf(Message.Failure.class,
                authenticated(SessionIdentity.of(hello)).callAndWait(hello, TIMEOUT));
    }

    private List<String> maps() {
        return pools.find("p1").orElseThrow().dirtyMaps().stream()
                .map(m -> m.memberId() + ":" + m.dirtyCount()).toList();
    }

    @Test
    void aPeerWithoutTheSecretGetsNothingAndChangesNothing() throws Exception {
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.Write(0, List.of(), MemorySegment.ofArray(new byte[CHUNK])),
                TIMEOUT));
        List<String> mapsBefore = maps();
        List<Message> attempts = List.of(syncHello("stg-rmr2@stg-rmr1", 2), new Message.ReadChunk(0),
                new Message.Write(0, List.of(), MemorySegment.ofArray(new byte[] {1, 2, 3})), new Message.MarkDirty(List.of(2), 0, 9),
                new Message.ChunksClean(2, new long[] {3}));
        for (Message attempt : attempts) {
            try (FramedConnection raw = FramedConnection.connect(server.address(), TIMEOUT)) {
                raw.send(5, attempt);
                Message.Failure refused = assertInstanceOf(Message.Failure.class, raw.receive().message());
                assertEquals(Status.REFUSED, refused.status());
                assertTrue(refused.message().startsWith("this node requires authentication"), refused.message());
                assertThrows(EOFException.class, raw::receive);
            }
        }
        assertEquals(mapsBefore, maps());
        Message.Data data = assertInstanceOf(Message.Data.class, compute.callAndWait(new Message.Read(0, 512),
                TIMEOUT));
        assertArrayEquals(new byte[512], data.data().toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void theHelloMustNameTheIdentityThatWasProven() throws Exception {
        RpcChannel channel = authenticated(new SessionIdentity(Role.SYNC, "p1", "stg-rmr2@stg-rmr1", 2));
        Message.Failure refused = assertInstanceOf(Message.Failure.class,
                channel.callAndWait(syncHello("stg-rmr2@stg-rmr1", 9), TIMEOUT));
        assertEquals(new Message.Failure(Status.REFUSED, "Hello does not name the role, pool, session and member "
                + "this session authenticated as"), refused);
    }

    @Test
    void syncSessionsComeOnlyFromOtherMembersOfThePool() throws Exception {
        assertEquals(new Message.Failure(Status.REFUSED, "sync session: member 7 is not a member of pool p1 "
                + "(members [1, 2])"), refusedHello(syncHello("intruder", 7)));
        assertEquals(new Message.Failure(Status.REFUSED, "a sync session of pool p1 cannot come from member 1, this "
                + "node's own"), refusedHello(syncHello("mirror", 1)));
        session(syncHello("stg-rmr2@stg-rmr1", 2));
    }

    @Test
    void aSyncSessionSpeaksOnlyForItsOwnMember() throws Exception {
        RpcChannel sync = session(syncHello("stg-rmr2@stg-rmr1", 2));
        List<String> before = maps();
        for (Message foreign : List.<Message>of(new Message.ChunksClean(1, new long[] {0}),
                new Message.ChunksClean(3, new long[] {0}), new Message.MarkDirty(List.of(1), 0, 9),
                new Message.MarkDirty(List.of(2, 900), 0, 9))) {
            Message.Failure refused = assertInstanceOf(Message.Failure.class, sync.callAndWait(foreign, TIMEOUT));
            assertEquals(Status.REFUSED, refused.status());
            assertTrue(refused.message().contains("speaks for member 2 only"), refused.message());
        }
        assertEquals(before, maps());
        assertEquals(new Message.Ok(), sync.callAndWait(new Message.ChunksClean(2, new long[] {3}), TIMEOUT));
        assertEquals(List.of("1:0", "2:0"), maps());
    }

    @Test
    void theNodeNeverTakesChunksCleanAboutItsOwnMember() throws Exception {
        ServerPool pool = pools.get("p1");
        pool.markDirty(List.of(1), 5, 5);
        RequestException refused = assertThrows(RequestException.class, () -> pool.chunksClean(1, new long[] {5}));
        assertEquals("ChunksClean about member 1 refused: only this node knows what it holds", refused.getMessage());
        assertTrue(pool.isDirtyHere(5));
    }

    @Test
    void mapChangesNameOnlyMembersOfThePool() throws Exception {
        List<String> before = maps();
        Message.Failure refused = assertInstanceOf(Message.Failure.class,
                compute.callAndWait(new Message.MarkDirty(List.of(900), 0, 9), TIMEOUT));
        assertEquals(new Message.Failure(Status.REFUSED, "MarkDirty: member 900 is not a member of pool p1 (members "
                + "[1, 2])"), refused);
        long[] dirty = new long[1];
        dirty[0] = 1;
        Message.Maps foreign = new Message.Maps(CHUNKS, List.of(new Message.MemberMap(2, new long[1]),
                new Message.MemberMap(901, dirty)));
        assertEquals(Status.REFUSED, assertInstanceOf(Message.Failure.class,
                compute.callAndWait(new Message.MapUpdate(foreign), TIMEOUT)).status());
        assertEquals(before, maps());
        Message.Maps cleanForeign = new Message.Maps(CHUNKS, List.of(new Message.MemberMap(2, new long[1]),
                new Message.MemberMap(902, new long[1])));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.MapUpdate(cleanForeign), TIMEOUT));
        assertEquals(List.of("1:0", "2:0"), maps(), "the clean map of a non-member adds no member");
    }

    @Test
    void aComputeSessionMustNameItsClientAndRefusalsNameNoOtherSession() throws Exception {
        Message.Failure anonymous = refusedHello(new Message.Hello(RmrCodec.VERSION, Role.COMPUTE, "p1", "s1",
                Message.JoinMode.ASSEMBLE, CHUNK, -1));
        assertEquals(new Message.Failure(Status.REFUSED, "Hello of compute session s1 names no client (writer); "
                + "session names are not identities"), anonymous);
        Message.Failure other = refusedHello(computeHello("guess", CLIENT_A));
        assertEquals(new Message.Failure(Status.REFUSED, "pool p1 on member 1 already serves another compute "
                + "session"), other);
        assertFalse(other.message().contains("s1"));
        assertEquals(new Message.Ok(), compute.callAndWait(new Message.Flush(), TIMEOUT), "s1 still serves");
    }

    @Test
    void aSessionOfAFencedWriterChangesNoMap() throws Exception {
        ServerPool pool = pools.get("p1");
        RecordingLink a = new RecordingLink("a", new Message.Writer(CLIENT_A, 3, false));
        pool.claimWriter(a, 3);
        pool.checkWriter(a);
        pool.claimWriter(new RecordingLink("b", new Message.Writer(new UUID(0xB, 1), 0, false)), 4);
        RequestException fenced = assertThrows(RequestException.class, () -> pool.checkWriter(a));
        assertEquals(Status.FENCED, fenced.status());
    }
}
