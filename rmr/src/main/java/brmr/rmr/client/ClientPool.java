package brmr.rmr.client;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import brmr.rmr.server.DirtyMap;
import brmr.rmr.server.MapSummary;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.tinylog.Logger;

/**
 * The compute client's side of a pool: one leg per storage node. Writes go to every leg in service
 * and complete when one succeeded; a leg that missed a write gets the chunk marked dirty on the legs
 * still in service. Reads go round-robin over legs in service that hold the chunk clean.
 */
public final class ClientPool {
    private static final long REFRESH_MILLIS = 2000;
    private final String name;
    private final int chunkSize;
    private final Map<String, Leg> legs = new LinkedHashMap<>();
    private final Map<Integer, DirtyMap> knownDirty = new TreeMap<>();
    private final BitSet unflushed = new BitSet();
    /** Writes hold it shared; a map update and enable hold it alone, so no write slips past the update. */
    private final ReentrantReadWriteLock ioLock = new ReentrantReadWriteLock();
    private final AtomicInteger readCursor = new AtomicInteger();
    private volatile boolean closed;
    /** Chunks of the pool's store, known once a leg has answered; -1 before. */
    private long chunkCount = -1;

    ClientPool(String name, int chunkSize) {
        this.name = name;
        this.chunkSize = chunkSize;
        Thread.ofVirtual().name("dirty-refresh-" + name).start(this::refreshLoop);
    }

    public String name() {
        return name;
    }

    public int chunkSize() {
        return chunkSize;
    }

    public synchronized List<Leg> legs() {
        return new ArrayList<>(legs.values());
    }

    public synchronized Optional<Leg> leg(String session) {
        return Optional.ofNullable(legs.get(session));
    }

    private Leg require(String session) throws PoolException {
        return leg(session).orElseThrow(() -> new PoolException("sessname", "no session " + session + " in pool "
                + name));
    }

    // ---- sessions ----

    /** {@code add_sess}: connects to a storage node and joins its server pool; the leg is then CREATED. */
    public Leg addSession(String session, InetSocketAddress address, Message.JoinMode mode) throws PoolException {
        synchronized (this) {
            if (legs.containsKey(session)) {
                throw new PoolException("sessname", "session " + session + " already exists in pool " + name);
            }
            for (Leg other : legs.values()) {
                if (other.address().equals(address)) {
                    throw new PoolException("path", "session " + other.name() + " already goes to " + other.where());
                }
            }
        }
        Leg leg = new Leg(Message.Role.COMPUTE, -1, name, session, address, chunkSize, mode);
        String where = leg.where();
        Message.Failure refused;
        try {
            refused = leg.connect(this::connectionLost);
        } catch (IOException e) {
            throw new PoolException("path", "cannot reach " + where + ": " + e.getMessage());
        }
        if (refused != null) {
            throw new PoolException("sessname", where + " refused session " + session + ": " + refused.message());
        }
        synchronized (this) {
            if (legs.containsKey(session)) {
                leg.disconnect();
                throw new PoolException("sessname", "session " + session + " already exists in pool " + name);
            }
            legs.put(session, leg);
            adoptParams(leg.params());
        }
        return leg;
    }

    /** {@code sessions/<s>/enable}: map update, then enable; the leg takes IO from then on. */
    public void enable(String session) throws PoolException {
        Leg leg = require(session);
        try {
            enableLeg(leg);
        } catch (IOException e) {
            legFailed(leg, e.getMessage());
            throw new PoolException("sessname", "enabling " + session + " failed: " + e.getMessage());
        }
    }

    /** {@code pool_enable}: enables every leg that is CREATED. */
    public void enableAll() throws PoolException {
        List<String> failures = new ArrayList<>();
        for (Leg leg : legs()) {
            if (leg.state() != SessionState.CREATED) {
                continue;
            }
            try {
                enableLeg(leg);
            } catch (IOException | PoolException e) {
                failures.add(leg.name() + ": " + e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            throw new PoolException("pool_enable", String.join("; ", failures));
        }
    }

    private void enableLeg(Leg leg) throws IOException, PoolException {
        ioLock.writeLock().lock();
        try {
            switch (leg.state()) {
                case NORMAL -> {
                    return;
                }
                case CREATED -> {
                }
                default -> throw new PoolException("sessname", "session " + leg.name() + " is " + leg.state()
                        + "; only a CREATED session can be enabled");
            }
            // a store that was never mapped has served no IO, so there is nothing it could have missed
            boolean served = leg.params() != null && leg.params().mapped();
            if (served) {
                Message.Maps update = authoritativeMaps(leg);
                expect(leg, leg.call(new Message.MapUpdate(update)), Message.Ok.class);
                learn(expect(leg, leg.call(new Message.GetMaps()), Message.Maps.class));
            }
            expect(leg, leg.call(new Message.Enable()), Message.Ok.class);
            leg.enabled();
            Logger.info("pool {}: session {} enabled{}", name, leg.name(), served ? " after a map update" : "");
        } finally {
            ioLock.writeLock().unlock();
        }
    }

    /**
     * The maps a joining leg must take: those of a leg in service when there is one (it saw every write
     * since), else the union of what every joined leg persisted. The leg adds its own map of itself.
     */
    private Message.Maps authoritativeMaps(Leg joining) throws IOException, PoolException {
        for (Leg leg : legs()) {
            if (leg != joining && leg.state() == SessionState.NORMAL) {
                try {
                    return expect(leg, leg.call(new Message.GetMaps()), Message.Maps.class);
                } catch (IOException e) {
                    legFailed(leg, e.getMessage());
                }
            }
        }
        Map<Integer, long[]> union = new TreeMap<>();
        long chunkCount = -1;
        for (Leg leg : legs()) {
            if (leg.state() != SessionState.CREATED) {
                continue;
            }
            Message.Maps maps = expect(leg, leg.call(new Message.GetMaps()), Message.Maps.class);
            chunkCount = maps.chunkCount();
            for (Message.MemberMap map : maps.maps()) {
                long[] words = union.computeIfAbsent(map.member(), m -> new long[map.words().length]);
                for (int i = 0; i < Math.min(words.length, map.words().length); i++) {
                    words[i] |= map.words()[i];
                }
            }
        }
        List<Message.MemberMap> maps = new ArrayList<>();
        union.forEach((member, words) -> maps.add(new Message.MemberMap(member, words)));
        return new Message.Maps(chunkCount, maps);
    }

    /** Takes a leg's maps, as it holds them after its map update, as the client's view of what each member lacks. */
    private synchronized void learn(Message.Maps maps) {
        for (Message.MemberMap map : maps.maps()) {
            knownMap(map.member(), maps.chunkCount()).assign(map.words(), false);
        }
    }

    /** {@code del_sess}: leaves the server pool ({@code delete} for good, {@code disassemble} for a shutdown). */
    public void deleteSession(String session, Message.LeaveMode mode) throws PoolException {
        Leg leg = require(session);
        leg.state(SessionState.REMOVING);
        try {
            leg.call(new Message.Leave(mode));
        } catch (IOException e) {
            Logger.info("pool {}: session {} left without a reply: {}", name, session, e.getMessage());
        }
        leg.disconnect();
        synchronized (this) {
            legs.remove(session);
        }
        Logger.info("pool {}: session {} removed ({})", name, session, mode);
    }

    /** {@code sessions/<s>/reconnect}: drops the connection; the leg reconnects and, if it was enabled, re-enables. */
    public void reconnect(String session) throws PoolException {
        Leg leg = require(session);
        if (leg.state() == SessionState.RECONNECTING) {
            return;
        }
        legFailed(leg, "reconnect requested");
    }

    private void connectionLost(Leg leg) {
        legFailed(leg, leg.lastError());
    }

    /** A leg failed: it takes no IO until it has reconnected and been given the writes it missed. */
    void legFailed(Leg leg, String reason) {
        leg.failAndReconnect(reason, this::connectionLost, back -> {
            if (back.enabledOnce()) {
                enableLeg(back);
            }
        }, () -> !closed && legs().contains(leg));
    }

    // ---- map ----

    /**
     * {@code map_device}: the first map needs every leg, equal parameters, and sets MAPPED and a new pool
     * UUID on all; a later map takes legs that are all MAPPED with one UUID. Returns the pool's parameters.
     */
    public StoreParams map(long sizeSectors) throws PoolException {
        List<Leg> all = legs();
        if (all.isEmpty()) {
            throw new PoolException("pool", name + " has no sessions; add_sess first");
        }
        Map<Leg, StoreParams> answers = new LinkedHashMap<>();
        List<Leg> unreachable = new ArrayList<>();
        for (Leg leg : all) {
            if (leg.state() != SessionState.NORMAL) {
                unreachable.add(leg);
                continue;
            }
            try {
                Message.Params params = expect(leg, leg.call(new Message.QueryParams()), Message.Params.class);
                if (params.store() == null) {
                    throw new PoolException("leg " + leg.name(), "member " + leg.memberId() + " has no store");
                }
                leg.refreshParams(params.store());
                answers.put(leg, params.store());
            } catch (IOException e) {
                legFailed(leg, e.getMessage());
                unreachable.add(leg);
            }
        }
        if (answers.isEmpty()) {
            throw new PoolException("pool", "no leg of " + name + " is reachable and enabled");
        }
        checkParamsAgree(answers, sizeSectors);
        List<Leg> mapped = answers.keySet().stream().filter(l -> answers.get(l).mapped()).toList();
        List<Leg> fresh = answers.keySet().stream().filter(l -> !answers.get(l).mapped()).toList();
        if (!mapped.isEmpty() && !fresh.isEmpty()) {
            throw new PoolException("leg " + fresh.getFirst().name(), "its store was never mapped, but leg "
                    + mapped.getFirst().name() + " is mapped; a map takes all mapped or all fresh legs");
        }
        if (mapped.isEmpty()) {
            if (!unreachable.isEmpty()) {
                Leg missing = unreachable.getFirst();
                throw new PoolException("leg " + missing.name(), "is " + missing.state()
                        + "; the first map of a fresh pool needs every leg reachable and enabled");
            }
            UUID poolUuid = UUID.randomUUID();
            for (Leg leg : fresh) {
                try {
                    expect(leg, leg.call(new Message.MarkMapped(poolUuid)), Message.Ok.class);
                    leg.refreshParams(withMapped(answers.get(leg), poolUuid));
                } catch (IOException e) {
                    throw new PoolException("leg " + leg.name(), "marking it mapped failed: " + e.getMessage());
                }
            }
            Logger.info("pool {}: first map, pool UUID {}", name, poolUuid);
            return withMapped(answers.get(fresh.getFirst()), poolUuid);
        }
        UUID poolUuid = answers.get(mapped.getFirst()).poolUuid();
        for (Leg leg : mapped) {
            if (!poolUuid.equals(answers.get(leg).poolUuid())) {
                throw new PoolException("leg " + leg.name(), "has pool UUID " + answers.get(leg).poolUuid() + ", leg "
                        + mapped.getFirst().name() + " has " + poolUuid);
            }
        }
        return answers.get(mapped.getFirst());
    }

    private static StoreParams withMapped(StoreParams p, UUID poolUuid) {
        return new StoreParams(p.poolName(), p.memberId(), p.mappedSizeSectors(), p.chunkSize(), p.sectorSize(), true,
                poolUuid);
    }

    private void checkParamsAgree(Map<Leg, StoreParams> answers, long sizeSectors) throws PoolException {
        Leg first = answers.keySet().iterator().next();
        StoreParams reference = answers.get(first);
        for (Map.Entry<Leg, StoreParams> entry : answers.entrySet()) {
            StoreParams p = entry.getValue();
            String leg = "leg " + entry.getKey().name();
            if (p.mappedSizeSectors() != reference.mappedSizeSectors()) {
                throw new PoolException(leg, "mapped_size " + p.mappedSizeSectors() + " differs from "
                        + reference.mappedSizeSectors() + " of leg " + first.name());
            }
            if (p.chunkSize() != reference.chunkSize()) {
                throw new PoolException(leg, "chunk_size " + p.chunkSize() + " differs from " + reference.chunkSize()
                        + " of leg " + first.name());
            }
            if (p.sectorSize() != reference.sectorSize()) {
                throw new PoolException(leg, "sector size " + p.sectorSize() + " differs from "
                        + reference.sectorSize() + " of leg " + first.name());
            }
        }
        if (sizeSectors != reference.mappedSizeSectors()) {
            throw new PoolException("size", sizeSectors + " sectors differs from the mapped_size "
                    + reference.mappedSizeSectors() + " of the legs");
        }
    }

    // ---- IO ----

    public void read(long offset, byte[] buffer, int bufferOffset, int length) throws IOException {
        long first = offset / chunkSize;
        long last = (offset + length - 1) / chunkSize;
        List<Leg> candidates = new ArrayList<>();
        for (Leg leg : legs()) {
            if (leg.state() == SessionState.NORMAL && holdsClean(leg.memberId(), first, last)) {
                candidates.add(leg);
            }
        }
        if (candidates.isEmpty()) {
            throw new IOException("pool " + name + ": no leg in service holds chunks " + first + ".." + last
                    + " clean");
        }
        int start = Math.floorMod(readCursor.getAndIncrement(), candidates.size());
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Leg leg = candidates.get((start + i) % candidates.size());
            try {
                Message reply = leg.call(new Message.Read(offset, length));
                if (reply instanceof Message.Data data && data.data().length == length) {
                    System.arraycopy(data.data(), 0, buffer, bufferOffset, length);
                    return;
                }
                errors.add(leg.name() + ": " + describe(reply));
                if (reply instanceof Message.Failure f && f.status() == Message.Status.DIRTY) {
                    markKnown(List.of(leg.memberId()), first, last);
                } else {
                    legFailed(leg, describe(reply));
                }
            } catch (IOException e) {
                errors.add(leg.name() + ": " + e.getMessage());
                legFailed(leg, e.getMessage());
            }
        }
        throw new IOException("pool " + name + ": read of " + offset + "+" + length + " failed on every leg: "
                + String.join("; ", errors));
    }

    public void write(long offset, byte[] buffer, int bufferOffset, int length) throws IOException {
        byte[] data = bufferOffset == 0 && length == buffer.length
                ? buffer
                : java.util.Arrays.copyOfRange(buffer, bufferOffset, bufferOffset + length);
        replicate(offset, length, missing -> new Message.Write(offset, missing, data));
    }

    public void writeZeroes(long offset, int length) throws IOException {
        replicate(offset, length, missing -> new Message.WriteZeroes(offset, length, missing));
    }

    private void replicate(long offset, int length, java.util.function.Function<List<Integer>, Message> request)
            throws IOException {
        long first = offset / chunkSize;
        long last = (offset + length - 1) / chunkSize;
        ioLock.readLock().lock();
        try {
            List<Leg> inService = new ArrayList<>();
            List<Integer> missing = new ArrayList<>();
            for (Leg leg : legs()) {
                if (leg.state() == SessionState.NORMAL) {
                    inService.add(leg);
                } else if (leg.memberId() >= 0) {
                    missing.add(leg.memberId());
                }
            }
            if (inService.isEmpty()) {
                throw new IOException("pool " + name + ": no leg in service");
            }
            Message message = request.apply(missing);
            List<Leg> succeeded = new ArrayList<>();
            List<Integer> missed = new ArrayList<>(missing);
            List<String> errors = new ArrayList<>();
            for (Map.Entry<Leg, Message> reply : callAll(inService, message).entrySet()) {
                Leg leg = reply.getKey();
                if (reply.getValue() instanceof Message.Ok) {
                    succeeded.add(leg);
                    continue;
                }
                missed.add(leg.memberId());
                errors.add(leg.name() + ": " + describe(reply.getValue()));
                if (!(reply.getValue() instanceof Message.Failure f && f.status() == Message.Status.DIRTY)) {
                    legFailed(leg, describe(reply.getValue()));
                }
            }
            if (succeeded.isEmpty()) {
                throw new IOException("pool " + name + ": write of " + offset + "+" + length
                        + " failed on every leg: " + String.join("; ", errors));
            }
            if (missed.size() > missing.size()) {
                markOnLegs(succeeded, missed.subList(missing.size(), missed.size()), first, last);
            }
            markKnown(missed, first, last);
            synchronized (unflushed) {
                unflushed.set(Math.toIntExact(first), Math.toIntExact(last) + 1);
            }
        } finally {
            ioLock.readLock().unlock();
        }
    }

    /** Tells the legs that took a write which members missed it; a leg that cannot record it fails too. */
    private void markOnLegs(List<Leg> legsInService, List<Integer> members, long first, long last) {
        Message mark = new Message.MarkDirty(members, first, last);
        for (Map.Entry<Leg, Message> reply : callAll(legsInService, mark).entrySet()) {
            if (!(reply.getValue() instanceof Message.Ok)) {
                legFailed(reply.getKey(), "recording missed chunks failed: " + describe(reply.getValue()));
            }
        }
    }

    public void flush() throws IOException {
        BitSet written;
        synchronized (unflushed) {
            written = (BitSet) unflushed.clone();
            unflushed.clear();
        }
        List<Leg> inService = legs().stream().filter(l -> l.state() == SessionState.NORMAL).toList();
        if (inService.isEmpty()) {
            throw new IOException("pool " + name + ": no leg in service");
        }
        List<Leg> succeeded = new ArrayList<>();
        List<Integer> failed = new ArrayList<>();
        for (Map.Entry<Leg, Message> reply : callAll(inService, new Message.Flush()).entrySet()) {
            if (reply.getValue() instanceof Message.Ok) {
                succeeded.add(reply.getKey());
            } else {
                failed.add(reply.getKey().memberId());
                legFailed(reply.getKey(), "flush failed: " + describe(reply.getValue()));
            }
        }
        if (succeeded.isEmpty()) {
            throw new IOException("pool " + name + ": flush failed on every leg");
        }
        if (!failed.isEmpty()) {
            // what a leg had not flushed may be lost on it: it lacks those chunks until they are synced
            for (int from = written.nextSetBit(0); from >= 0; from = written.nextSetBit(written.nextClearBit(from))) {
                int to = written.nextClearBit(from) - 1;
                markOnLegs(succeeded, failed, from, to);
                markKnown(failed, from, to);
            }
        }
    }

    private static Map<Leg, Message> callAll(List<Leg> targets, Message request) {
        Map<Leg, CompletableFuture<Message>> pending = new LinkedHashMap<>();
        for (Leg leg : targets) {
            pending.put(leg, leg.callAsync(request));
        }
        Map<Leg, Message> replies = new LinkedHashMap<>();
        pending.forEach((leg, future) -> {
            Message reply;
            try {
                reply = future.join();
            } catch (CompletionException | java.util.concurrent.CancellationException e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                reply = new Message.Failure(Message.Status.IO_ERROR, cause.getMessage() != null
                        ? cause.getMessage() : cause.toString());
            }
            replies.put(leg, reply);
        });
        return replies;
    }

    private static <T extends Message> T expect(Leg leg, Message reply, Class<T> type)
            throws IOException, PoolException {
        if (type.isInstance(reply)) {
            return type.cast(reply);
        }
        if (reply instanceof Message.Failure failure) {
            throw new PoolException("leg " + leg.name(), failure.message());
        }
        throw new IOException(leg.name() + " answered " + reply.getClass().getSimpleName() + ", expected "
                + type.getSimpleName());
    }

    private static String describe(Message reply) {
        return reply instanceof Message.Failure f ? f.status() + " " + f.message() : reply.getClass().getSimpleName();
    }

    // ---- what the client knows of the dirty maps ----

    private synchronized void adoptParams(StoreParams params) {
        if (params != null && chunkCount < 0) {
            chunkCount = params.chunkCount();
        }
    }

    private synchronized DirtyMap knownMap(int member, long chunks) {
        return knownDirty.computeIfAbsent(member, m -> new DirtyMap(m, chunks));
    }

    private synchronized boolean holdsClean(int member, long first, long last) {
        DirtyMap map = knownDirty.get(member);
        if (map == null) {
            return true;
        }
        long next = map.nextDirty(first);
        return next < 0 || next > last;
    }

    private synchronized void markKnown(List<Integer> members, long first, long last) {
        if (chunkCount < 0) {
            return;
        }
        for (int member : members) {
            DirtyMap map = knownMap(member, chunkCount);
            for (long chunk = first; chunk <= last; chunk++) {
                map.mark(chunk);
            }
        }
    }

    /**
     * Catches up with syncs on the legs: each leg in service is asked what it still lacks itself. The
     * view only steers reads; a leg that is asked for a chunk it lacks syncs it or says so.
     */
    private void refreshKnownDirty() {
        for (Leg leg : legs()) {
            DirtyMap known;
            synchronized (this) {
                known = knownDirty.get(leg.memberId());
            }
            if (leg.state() != SessionState.NORMAL || known == null || known.dirtyCount() == 0) {
                continue;
            }
            try {
                Message reply = leg.call(new Message.GetMaps());
                if (reply instanceof Message.Maps maps) {
                    for (Message.MemberMap map : maps.maps()) {
                        if (map.member() == leg.memberId()) {
                            known.assign(map.words(), false);
                        }
                    }
                }
            } catch (IOException e) {
                legFailed(leg, e.getMessage());
            }
        }
    }

    private void refreshLoop() {
        while (!closed) {
            try {
                Thread.sleep(REFRESH_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            refreshKnownDirty();
        }
    }

    /** What the client believes each member lacks. */
    public synchronized String mapSummary() {
        return MapSummary.format(knownDirty.values());
    }

    void close() {
        closed = true;
        for (Leg leg : legs()) {
            leg.state(SessionState.REMOVING);
            leg.disconnect();
        }
    }
}
