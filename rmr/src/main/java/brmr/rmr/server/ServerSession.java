package brmr.rmr.server;

import brmr.device.Disk;
import brmr.device.IoBuffer;
import brmr.device.IoBuffers;
import brmr.rmr.PoolException;
import brmr.rmr.net.FramedConnection;
import brmr.rmr.net.RequestServer;
import brmr.rmr.protocol.Frame;
import brmr.rmr.protocol.Message;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.RmrCodec;
import brmr.rmr.protocol.SessionIdentity;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.IntFunction;
import org.tinylog.Logger;

/**
 * One session a storage node serves: from the compute client (IO, maps, enable) or from a peer
 * storage node syncing from this one. The first request must be a Hello naming the pool; after an
 * authentication it must name the identity that was proven.
 *
 * <p>What a session may do (authorization): a compute session must name its client, and only the
 * pool's current writer changes data or maps; a sync session comes from another member of the pool
 * and reports only about its own member ({@code ChunksClean}, {@code MarkDirty}).
 */
final class ServerSession implements RequestServer.Handler, SessionLink {
    private final ServerPools pools;
    private final FramedConnection connection;
    /** The identity the peer proved with the shared secret; null when the node runs without one. */
    private final SessionIdentity proven;
    private volatile ServerPool pool;
    private volatile Message.Hello hello;

    ServerSession(ServerPools pools, FramedConnection connection, SessionIdentity proven) {
        this.pools = pools;
        this.connection = connection;
        this.proven = proven;
    }

    /** Whether the peer proved it holds the shared secret before its Hello. */
    boolean authenticated() {
        return proven != null;
    }

    @Override
    public String name() {
        Message.Hello h = hello;
        return h == null ? connection.peer() : h.session();
    }

    @Override
    public void close() {
        connection.close();
    }

    @Override
    public Message.Writer writer() {
        Message.Hello h = hello;
        return h == null ? null : h.writer();
    }

    /** Read data goes to pooled buffers held by the request's frame, given back once the reply is sent. */
    @Override
    public Message handle(Frame request) {
        return handle(request.message(), length -> {
            IoBuffer buffer = IoBuffers.shared().take(length);
            request.hold(buffer);
            return buffer.segment();
        });
    }

    /** Without a frame to hold them, read data goes to buffers of their own, left to the garbage collector. */
    @Override
    public Message handle(Message request) {
        return handle(request, length -> Disk.allocate(Arena.ofAuto(), length));
    }

    private Message handle(Message request, IntFunction<MemorySegment> replyBuffers) {
        try {
            if (request instanceof Message.Hello h) {
                return hello(h);
            }
            ServerPool joined = pool;
            if (joined != null && request instanceof Message.Ping) {
                return new Message.Ok();
            }
            if (joined == null) {
                throw new RequestException(Status.PROTOCOL, "the first request of a session must be Hello, not "
                        + request.getClass().getSimpleName());
            }
            if (hello.role() == Message.Role.SYNC) {
                return sync(joined, request, replyBuffers);
            }
            if (request instanceof Message.Leave leave) {
                joined.computeSessionEnded(this);
                Logger.info("session {} left pool {} ({})", name(), joined.name(), leave.mode());
                return new Message.Ok();
            }
            try (ComputeSessions.Admission _ = joined.admit(this)) {
                return compute(joined, request, replyBuffers);
            }
        } catch (RequestException e) {
            return e.toFailure();
        }
    }

    private Message hello(Message.Hello h) throws RequestException {
        if (hello != null) {
            throw new RequestException(Status.PROTOCOL, "session " + hello.session() + " already said Hello");
        }
        if (h.protocolVersion() != RmrCodec.VERSION) {
            throw new RequestException(Status.REFUSED, "protocol version " + h.protocolVersion()
                    + ", this node speaks " + RmrCodec.VERSION);
        }
        if (proven != null && !proven.equals(SessionIdentity.of(h))) {
            throw new RequestException(Status.REFUSED, "Hello does not name the role, pool, session and member "
                    + "this session authenticated as");
        }
        if (h.role() == Message.Role.COMPUTE && h.writer() == null) {
            throw new RequestException(Status.REFUSED, "Hello of compute session " + h.session()
                    + " names no client (writer); session names are not identities");
        }
        ServerPool target;
        try {
            target = pools.get(h.pool());
        } catch (PoolException e) {
            throw new RequestException(Status.REFUSED, "pool " + h.pool() + " is not joined on this node");
        }
        hello = h;
        Message.HelloOk ok;
        try {
            ok = h.role() == Message.Role.COMPUTE
                    ? target.joinCompute(this, h.mode(), h.chunkSize())
                    : target.joinSync(h.fromMember(), h.chunkSize());
        } catch (RequestException e) {
            hello = null;
            throw e;
        }
        pool = target;
        connection.establish();
        target.served().joined(this);
        Logger.info("session {} from {} joined pool {} as {}{}", h.session(), connection.peer(), h.pool(), h.role(),
                proven == null ? "" : " (authenticated)");
        return ok;
    }

    private Message compute(ServerPool p, Message request, IntFunction<MemorySegment> replyBuffers)
            throws RequestException {
        if (changesDataOrMaps(request)) {
            p.checkWriter(this);
        }
        return switch (request) {
            case Message.Enable e -> {
                p.enable(this);
                yield new Message.Ok();
            }
            case Message.Maintenance m -> {
                p.maintenance(this);
                yield new Message.Ok();
            }
            case Message.QueryParams q -> new Message.Params(p.params().orElse(null));
            case Message.MarkMapped m -> {
                p.markMapped(m.poolUuid());
                yield new Message.Ok();
            }
            case Message.Unmap u -> {
                p.unmap(u.poolUuid());
                yield new Message.Ok();
            }
            case Message.ClaimWriter c -> {
                p.claimWriter(this, c.epoch());
                yield new Message.Ok();
            }
            case Message.GetMaps g -> p.maps();
            case Message.MapUpdate u -> {
                p.mapUpdate(u.maps());
                yield new Message.Ok();
            }
            case Message.Read r -> new Message.Data(p.read(r.offset(), r.length(), replyBuffers));
            case Message.Write w -> {
                p.write(w.offset(), w.data(), w.missingMembers());
                yield new Message.Ok();
            }
            case Message.WriteZeroes z -> {
                p.writeZeroes(z.offset(), z.length(), z.missingMembers());
                yield new Message.Ok();
            }
            case Message.Trim t -> {
                p.trim(t.offset(), t.length(), t.missingMembers());
                yield new Message.Ok();
            }
            case Message.MarkDirty d -> {
                p.markMissed(d.members(), d.firstChunk(), d.lastChunk());
                yield new Message.Ok();
            }
            case Message.GetRecovery g -> p.recovery();
            case Message.InService i -> {
                p.inService(i.mapVersion(), i.members());
                yield new Message.Ok();
            }
            case Message.ActivityResolved a -> {
                p.activityResolved();
                yield new Message.Ok();
            }
            case Message.Flush f -> {
                p.flush();
                yield new Message.Ok();
            }
            case Message.ChunkChecksum c -> new Message.Checksum(c.chunk(), p.chunkChecksum(c.chunk()));
            default -> throw new RequestException(Status.PROTOCOL, request.getClass().getSimpleName()
                    + " is not a request of a compute session");
        };
    }

    private static boolean changesDataOrMaps(Message request) {
        return switch (request) {
            case Message.Write _, Message.WriteZeroes _, Message.Trim _, Message.MarkDirty _, Message.MapUpdate _,
                    Message.InService _, Message.ActivityResolved _, Message.MarkMapped _, Message.Unmap _ -> true;
            default -> false;
        };
    }

    private Message sync(ServerPool p, Message request, IntFunction<MemorySegment> replyBuffers)
            throws RequestException {
        return switch (request) {
            case Message.QueryParams q -> new Message.Params(p.params().orElse(null));
            case Message.GetMaps g -> p.maps();
            case Message.GetRecovery g -> p.recovery();
            case Message.ReadChunk r -> new Message.Data(p.readChunk(r.chunk(), replyBuffers));
            case Message.ReadChunks r -> new Message.Data(p.readChunks(r.firstChunk(), r.count(), replyBuffers));
            case Message.ChunkChecksum c -> new Message.Checksum(c.chunk(), p.chunkChecksum(c.chunk()));
            case Message.ChunksClean c -> {
                requireOwnMember(c.member(), "ChunksClean");
                p.chunksClean(c.member(), c.chunks());
                yield new Message.Ok();
            }
            case Message.MarkDirty d -> {
                for (int member : d.members()) {
                    requireOwnMember(member, "MarkDirty");
                }
                p.markDirty(d.members(), d.firstChunk(), d.lastChunk());
                yield new Message.Ok();
            }
            case Message.Leave leave -> new Message.Ok();
            default -> throw new RequestException(Status.PROTOCOL, request.getClass().getSimpleName()
                    + " is not a request of a sync session");
        };
    }

    /** A sync session speaks only for the member it joined as: what that member holds or lacks. */
    private void requireOwnMember(int member, String request) throws RequestException {
        if (member != hello.fromMember()) {
            throw new RequestException(Status.REFUSED, request + " about member " + member + " refused: sync session "
                    + hello.session() + " speaks for member " + hello.fromMember() + " only");
        }
    }

    /** This session as status shows it; only called once it joined. */
    ServedSession view() {
        Message.Hello h = hello;
        return new ServedSession(h.session(), h.role(), h.fromMember(), connection.peer(), authenticated());
    }

    @Override
    public long replyBytes(Message request) {
        Message.Hello h = hello;
        return switch (request) {
            case Message.Read r -> Math.max(0, r.length());
            case Message.ReadChunk _ -> h == null ? 0 : Math.max(0, h.chunkSize());
            case Message.ReadChunks r -> h == null ? 0 : Math.clamp((long) r.count() * h.chunkSize(), 0,
                    RmrCodec.MAX_DATA_BYTES);
            default -> 0;
        };
    }

    @Override
    public void closed(Throwable cause) {
        ServerPool p = pool;
        if (p != null) {
            p.served().ended(this);
        }
        if (p != null && hello.role() == Message.Role.COMPUTE) {
            p.computeSessionEnded(this);
        }
        Logger.info("session {} from {} closed{}", name(), connection.peer(),
                cause == null ? "" : ": " + cause.getMessage());
    }
}
