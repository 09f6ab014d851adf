package brmr.rmr.sync;

import brmr.rmr.PoolException;
import brmr.rmr.client.Leg;
import brmr.rmr.client.LegConnector;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.client.SessionState;
import brmr.rmr.protocol.Message;
import brmr.rmr.server.ChunkUnavailableException;
import brmr.rmr.server.PeerChecksum;
import brmr.rmr.server.PeerLink;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.tinylog.Logger;

/**
 * A storage node's sync pool (rmr-client with sync=y): one session to each peer of the pool. Through
 * it the node asks peers for their store parameters, fetches chunks it lacks, and tells peers what it
 * has synced or lost.
 */
public final class SyncPool implements PeerLink {
    private final String name;
    private final int memberId;
    private final int chunkSize;
    private final LegConnector connector;
    private final PeerTimeout timeout;
    private final Map<String, Leg> sessions = new LinkedHashMap<>();
    private final AtomicInteger nextSource = new AtomicInteger();
    private volatile boolean closed;

    SyncPool(String name, int memberId, int chunkSize, LegConnector connector, PeerTimeout timeout) {
        this.name = name;
        this.memberId = memberId;
        this.chunkSize = chunkSize;
        this.connector = connector;
        this.timeout = timeout;
    }

    /** The sync pool's {@code peer_timeout}: a peer that leaves a request unanswered this long is failed. */
    public PeerTimeout peerTimeout() {
        return timeout;
    }

    public String name() {
        return name;
    }

    public int memberId() {
        return memberId;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public synchronized List<Leg> sessions() {
        return new ArrayList<>(sessions.values());
    }

    public synchronized Optional<Leg> session(String session) {
        return Optional.ofNullable(sessions.get(session));
    }

    /** {@code add_sess}: a sync session to a peer; it reconnects by itself whenever the peer comes back. */
    public Leg addSession(String session, InetSocketAddress address) throws PoolException {
        synchronized (this) {
            if (sessions.containsKey(session)) {
                throw new PoolException("sessname", "session " + session + " already exists in sync pool " + name);
            }
        }
        Leg leg = new Leg(memberId, name, session, address, chunkSize, connector, timeout);
        Message.Failure refused;
        try {
            refused = leg.connect(this::connectionLost);
        } catch (IOException e) {
            throw new PoolException("path", "cannot reach " + leg.where() + ": " + e.getMessage());
        }
        if (refused != null) {
            throw new PoolException("sessname", leg.where() + " refused sync session " + session + ": "
                    + refused.message());
        }
        synchronized (this) {
            if (sessions.putIfAbsent(session, leg) != null) {
                leg.remove();
                throw new PoolException("sessname", "session " + session + " already exists in sync pool " + name);
            }
        }
        return leg;
    }

    public void deleteSession(String session) throws PoolException {
        Leg leg;
        synchronized (this) {
            leg = sessions.remove(session);
        }
        if (leg == null) {
            throw new PoolException("sessname", "no session " + session + " in sync pool " + name);
        }
        leg.state(SessionState.REMOVING);
        try {
            leg.call(new Message.Leave(Message.LeaveMode.DELETE));
        } catch (IOException e) {
            Logger.debug("sync pool {}: session {} left without a reply: {}", name, session, e.getMessage());
        }
        leg.remove();
    }

    /** {@code sessions/<s>/reconnect}: tries at once when waiting to reconnect, else drops and reconnects. */
    public void reconnect(String session) throws PoolException {
        Leg leg = session(session).orElseThrow(() -> new PoolException("sessname", "no session " + session
                + " in sync pool " + name));
        if (!leg.reconnectNow()) {
            failed(leg, "reconnect requested by the operator");
        }
    }

    private void connectionLost(Leg leg) {
        failed(leg, leg.lastError());
    }

    private void failed(Leg leg, String reason) {
        leg.failAndReconnect(reason, this::connectionLost, back -> { }, () -> !closed && sessions().contains(leg));
    }

    /** Asks every peer reachable now for its store parameters. */
    public List<PeerAnswer> queryPeers() {
        List<PeerAnswer> answers = new ArrayList<>();
        for (Leg leg : sessions()) {
            if (leg.state() != SessionState.NORMAL) {
                continue;
            }
            try {
                if (leg.call(new Message.QueryParams()) instanceof Message.Params params) {
                    answers.add(new PeerAnswer(leg.name(), params.store()));
                }
            } catch (IOException e) {
                failed(leg, e.getMessage());
            }
        }
        return answers;
    }

    /** A chunk from a peer that holds it clean, trying peers in turn. */
    @Override
    public int fetch(long chunk, MemorySegment dst) throws IOException {
        return Math.toIntExact(fetch(new Message.ReadChunk(chunk), "chunk " + chunk, dst));
    }

    /** Adjacent chunks from one peer that holds them all clean (one read there), trying peers in turn. */
    @Override
    public long fetchRun(long first, int count, MemorySegment dst) throws IOException {
        return fetch(new Message.ReadChunks(first, count), "chunks " + first + ".." + (first + count - 1), dst);
    }

    /** Asks each peer in service in turn for {@code request} until one answers with its data in {@code dst}. */
    private long fetch(Message request, String what, MemorySegment dst) throws IOException {
        List<Leg> peers = sessions().stream().filter(l -> l.state() == SessionState.NORMAL).toList();
        List<String> errors = new ArrayList<>();
        boolean answered = false;
        int start = peers.isEmpty() ? 0 : Math.floorMod(nextSource.getAndIncrement(), peers.size());
        for (int i = 0; i < peers.size(); i++) {
            Leg leg = peers.get((start + i) % peers.size());
            try {
                Message reply = leg.call(request, dst);
                if (reply instanceof Message.Data data) {
                    return data.data().byteSize();
                }
                answered = true;
                errors.add(leg.name() + ": " + (reply instanceof Message.Failure f ? f.message()
                        : reply.getClass().getSimpleName()));
            } catch (IOException e) {
                errors.add(leg.name() + ": " + e.getMessage());
                failed(leg, e.getMessage());
            }
        }
        for (Leg leg : sessions()) {
            if (leg.state() != SessionState.NORMAL) {
                errors.add(leg.name() + " is " + leg.state() + (leg.lastError() == null ? "" : " (" + leg.lastError()
                        + ")"));
            }
        }
        if (answered) {
            throw new ChunkUnavailableException("no reachable peer holds " + what + " clean: "
                    + String.join("; ", errors));
        }
        throw new IOException("no peer could supply " + what + ": "
                + (errors.isEmpty() ? "no sync sessions" : String.join("; ", errors)));
    }

    /** Verify: every peer's CRC32C of a chunk, asked of all peers at once. */
    @Override
    public List<PeerChecksum> checksums(long chunk) {
        List<Leg> legs = sessions();
        List<CompletableFuture<Message>> calls = new ArrayList<>();
        for (Leg leg : legs) {
            calls.add(leg.state() == SessionState.NORMAL ? leg.callAsync(new Message.ChunkChecksum(chunk)) : null);
        }
        List<PeerChecksum> answers = new ArrayList<>();
        for (int i = 0; i < legs.size(); i++) {
            Leg leg = legs.get(i);
            if (calls.get(i) == null) {
                answers.add(PeerChecksum.unreachable(leg.name(), "session is " + leg.state()
                        + (leg.lastError() == null ? "" : " (" + leg.lastError() + ")")));
                continue;
            }
            try {
                answers.add(switch (calls.get(i).join()) {
                    case Message.Checksum c -> PeerChecksum.of(leg.name(), c.crc32c());
                    case Message.Failure f when f.status() == Message.Status.DIRTY ->
                            PeerChecksum.dirty(leg.name(), f.message());
                    case Message.Failure f -> PeerChecksum.unreachable(leg.name(), f.message());
                    case Message other -> PeerChecksum.unreachable(leg.name(), "answered ChunkChecksum with "
                            + other.getClass().getSimpleName());
                });
            } catch (CompletionException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                String why = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
                answers.add(PeerChecksum.unreachable(leg.name(), why));
                failed(leg, why);
            }
        }
        return answers;
    }

    @Override
    public void cleaned(long[] chunks) {
        tellPeers(new Message.ChunksClean(memberId, chunks));
    }

    @Override
    public void lacking(long firstChunk, long lastChunk) {
        tellPeers(new Message.MarkDirty(List.of(memberId), firstChunk, lastChunk));
    }

    /** Peers that miss this news catch up at the next map update, which takes this member's own view. */
    private void tellPeers(Message news) {
        for (Leg leg : sessions()) {
            if (leg.state() != SessionState.NORMAL) {
                continue;
            }
            leg.callAsync(news).whenComplete((reply, error) -> {
                if (error != null || !(reply instanceof Message.Ok)) {
                    Logger.warn("sync pool {}: peer {} did not take {}: {}", name, leg.name(),
                            news.getClass().getSimpleName(), error != null ? error.getMessage() : reply);
                }
            });
        }
    }

    void close() {
        closed = true;
        for (Leg leg : sessions()) {
            leg.remove();
        }
    }
}
