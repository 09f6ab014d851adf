package brmr.rmr.client;

import brmr.rmr.PoolException;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.tinylog.Logger;

/**
 * The client's map protocol with its legs: the map update a leg takes before it serves (the dirty
 * maps of a leg in service, else the union of what the joined legs recorded), and {@code map_device}:
 * the first map of a fresh pool sets MAPPED and a new pool UUID on every leg or on none (a failure
 * part-way is rolled back with {@link Message.Unmap}); a later map takes legs that are all MAPPED
 * with one UUID.
 */
final class MapProtocol {
    private final String pool;
    private final Supplier<List<Leg>> legs;
    private final BiConsumer<Leg, String> failed;
    private final KnownDirty known;
    private final ClientWriter writer;

    MapProtocol(String pool, Supplier<List<Leg>> legs, BiConsumer<Leg, String> failed, KnownDirty known,
            ClientWriter writer) {
        this.pool = pool;
        this.legs = legs;
        this.failed = failed;
        this.known = known;
        this.writer = writer;
    }

    /** Gives {@code joining} the authoritative maps and takes its maps, as it then holds them, as the client's view. */
    void update(Leg joining) throws IOException, PoolException {
        Message.Maps update = authoritativeMaps(joining);
        Calls.expect(joining, joining.call(new Message.MapUpdate(update)), Message.Ok.class);
        known.learn(Calls.expect(joining, joining.call(new Message.GetMaps()), Message.Maps.class));
    }

    /**
     * The maps a joining leg must take: those of a leg in service when there is one (it saw every write
     * since), else the union of what every joined leg persisted. The leg adds its own map of itself.
     */
    private Message.Maps authoritativeMaps(Leg joining) throws IOException, PoolException {
        for (Leg leg : legs.get()) {
            if (leg != joining && leg.state() == SessionState.NORMAL) {
                try {
                    return Calls.expect(leg, leg.call(new Message.GetMaps()), Message.Maps.class);
                } catch (IOException e) {
                    failed.accept(leg, e.getMessage());
                }
            }
        }
        Map<Integer, long[]> union = new TreeMap<>();
        long chunkCount = -1;
        for (Leg leg : legs.get()) {
            if (leg != joining && leg.state() != SessionState.CREATED) {
                continue;
            }
            Message.Maps maps = Calls.expect(leg, leg.call(new Message.GetMaps()), Message.Maps.class);
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

    /**
     * Brings {@code joined} -- connected legs, with no leg in service -- into agreement by {@link
     * RecoveryPlan}: every leg takes the planned maps, records the new map version and the members in
     * service, and forgets its active chunks once they are dirty marks everywhere. The caller enables them.
     */
    void assemble(List<Leg> joined, boolean force) throws IOException, PoolException {
        List<RecoveryPlan.LegRecord> records = new ArrayList<>();
        long chunkCount = -1;
        for (Leg leg : joined) {
            Message.RecoveryState state = Calls.expect(leg, leg.call(new Message.GetRecovery()),
                    Message.RecoveryState.class);
            Message.Maps maps = Calls.expect(leg, leg.call(new Message.GetMaps()), Message.Maps.class);
            chunkCount = maps.chunkCount();
            Map<Integer, long[]> byMember = new TreeMap<>();
            maps.maps().forEach(map -> byMember.put(map.member(), map.words()));
            records.add(new RecoveryPlan.LegRecord(leg.memberId(), state.writerEpoch(), state.mapVersion(),
                    state.inService(), byMember, state.activeChunks()));
        }
        RecoveryPlan.Plan plan = switch (RecoveryPlan.plan(chunkCount, records, force)) {
            case RecoveryPlan.Refused refused -> throw new PoolException("pool", pool + ": " + refused.reason());
            case RecoveryPlan.Plan p -> p;
        };
        List<Message.MemberMap> maps = new ArrayList<>();
        plan.maps().forEach((member, words) -> maps.add(new Message.MemberMap(member, words)));
        Message.Maps update = new Message.Maps(chunkCount, maps);
        for (Leg leg : joined) {
            Calls.expect(leg, leg.call(new Message.MapUpdate(update)), Message.Ok.class);
        }
        for (Leg leg : joined) {
            Calls.expect(leg, leg.call(new Message.InService(plan.mapVersion(), plan.inService())), Message.Ok.class);
            Calls.expect(leg, leg.call(new Message.ActivityResolved()), Message.Ok.class);
        }
        known.learn(Calls.expect(joined.getFirst(), joined.getFirst().call(new Message.GetMaps()),
                Message.Maps.class));
        Logger.info("pool {}: legs {} assembled{} at map version {}; active chunks turned into dirty marks per "
                + "member: {}", pool, plan.inService(), force ? " (forced)" : "", plan.mapVersion(), plan.marked());
    }

    /**
     * Refuses a leg that joins legs in service when the two sides each went on without the other at
     * different writer epochs: taking the serving legs' maps would silently drop its writes.
     */
    void checkNotDivergent(Leg joining, Leg serving) throws IOException, PoolException {
        List<RecoveryPlan.LegRecord> records = new ArrayList<>();
        for (Leg leg : List.of(joining, serving)) {
            Message.RecoveryState state = Calls.expect(leg, leg.call(new Message.GetRecovery()),
                    Message.RecoveryState.class);
            records.add(new RecoveryPlan.LegRecord(leg.memberId(), state.writerEpoch(), state.mapVersion(),
                    state.inService(), Map.of(), new long[0]));
        }
        String split = RecoveryPlan.splitBrain(records);
        if (split != null) {
            throw new PoolException("pool", pool + ": " + split);
        }
    }

    /** Records on {@code inService} -- the legs in service now -- that they are the members in service. */
    void recordService(List<Leg> inService) throws IOException, PoolException {
        long version = 0;
        for (Leg leg : inService) {
            version = Math.max(version, Calls.expect(leg, leg.call(new Message.GetRecovery()),
                    Message.RecoveryState.class).mapVersion());
        }
        List<Integer> members = inService.stream().map(Leg::memberId).sorted().toList();
        for (Leg leg : inService) {
            Calls.expect(leg, leg.call(new Message.InService(version + 1, members)), Message.Ok.class);
        }
    }

    /** {@code map_device}: see the class comment. Returns the pool's parameters. */
    StoreParams map(long sizeSectors, boolean assumeClean) throws PoolException {
        List<Leg> all = legs.get();
        if (all.isEmpty()) {
            throw new PoolException("pool", pool + " has no sessions; add_sess first");
        }
        Map<Leg, StoreParams> answers = new LinkedHashMap<>();
        List<Leg> unreachable = new ArrayList<>();
        for (Leg leg : all) {
            if (leg.state() != SessionState.NORMAL) {
                unreachable.add(leg);
                continue;
            }
            try {
                Message.Params params = Calls.expect(leg, leg.call(new Message.QueryParams()), Message.Params.class);
                if (params.store() == null) {
                    throw new PoolException("leg " + leg.name(), "member " + leg.memberId() + " has no store");
                }
                leg.refreshParams(params.store());
                answers.put(leg, params.store());
            } catch (IOException e) {
                failed.accept(leg, e.getMessage());
                unreachable.add(leg);
            }
        }
        if (answers.isEmpty()) {
            throw new PoolException("pool", "no leg of " + pool + " is reachable and enabled");
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
            StoreParams params = firstMap(fresh, answers);
            claimWriter(fresh);
            if (!assumeClean) {
                initialSync(fresh, params);
            }
            return params;
        }
        UUID poolUuid = answers.get(mapped.getFirst()).poolUuid();
        for (Leg leg : mapped) {
            if (!poolUuid.equals(answers.get(leg).poolUuid())) {
                throw new PoolException("leg " + leg.name(), "has pool UUID " + answers.get(leg).poolUuid() + ", leg "
                        + mapped.getFirst().name() + " has " + poolUuid);
            }
        }
        claimWriter(mapped);
        return answers.get(mapped.getFirst());
    }

    /**
     * Every map makes this client the writer at a new epoch, newer than any leg has recorded, on every
     * leg in service; a client fenced by a newer writer learns it here.
     */
    private void claimWriter(List<Leg> inService) throws PoolException {
        long epoch = writer.epoch();
        for (Leg leg : inService) {
            epoch = Math.max(epoch, leg.writerEpoch());
        }
        epoch++;
        for (Leg leg : inService) {
            try {
                Calls.expect(leg, leg.call(new Message.ClaimWriter(epoch)), Message.Ok.class);
            } catch (IOException e) {
                failed.accept(leg, e.getMessage());
                throw new PoolException("leg " + leg.name(), "recording this client as the writer failed: "
                        + e.getMessage());
            }
        }
        writer.claimed(epoch);
        Logger.info("pool {}: client {} is the writer, epoch {}", pool, writer.clientId(), epoch);
    }

    /**
     * A new pool's legs hold whatever their disks held: the first leg is authoritative and every other
     * member lacks every chunk until it is synced (on demand, or by {@code sync start}), so a block
     * never written reads the same from every leg. {@code assume_clean=1} skips this, as mdadm's
     * {@code --assume-clean} does, for disks known to be identical (e.g. all zeroes).
     */
    private void initialSync(List<Leg> fresh, StoreParams params) throws PoolException {
        List<Integer> others = fresh.stream().skip(1).map(Leg::memberId).toList();
        if (others.isEmpty()) {
            return;
        }
        long last = params.chunkCount() - 1;
        for (Leg leg : fresh) {
            try {
                Calls.expect(leg, leg.call(new Message.MarkDirty(others, 0, last)), Message.Ok.class);
            } catch (IOException e) {
                failed.accept(leg, e.getMessage());
                throw new PoolException("leg " + leg.name(), "recording the initial sync failed: " + e.getMessage());
            }
        }
        known.chunkCount(params.chunkCount());
        known.mark(others, 0, last);
        Logger.info("pool {}: new pool, member {} is authoritative; members {} lack every chunk until synced", pool,
                fresh.getFirst().memberId(), others);
    }

    /** Sets MAPPED and a new pool UUID on every leg; when one refuses, undoes it on those already marked. */
    private StoreParams firstMap(List<Leg> fresh, Map<Leg, StoreParams> answers) throws PoolException {
        UUID poolUuid = UUID.randomUUID();
        List<Leg> marked = new ArrayList<>();
        for (Leg leg : fresh) {
            try {
                Calls.expect(leg, leg.call(new Message.MarkMapped(poolUuid)), Message.Ok.class);
                leg.refreshParams(withMapped(answers.get(leg), poolUuid));
                marked.add(leg);
            } catch (IOException | PoolException e) {
                if (e instanceof IOException) {
                    failed.accept(leg, e.getMessage());
                }
                throw new PoolException("leg " + leg.name(), "marking it mapped failed: " + e.getMessage() + "; "
                        + rollBack(marked, answers, poolUuid));
            }
        }
        Logger.info("pool {}: first map, pool UUID {}", pool, poolUuid);
        return withMapped(answers.get(fresh.getFirst()), poolUuid);
    }

    /** Clears MAPPED again on the legs a failed first map marked; says what it could not undo and how to repair. */
    private String rollBack(List<Leg> marked, Map<Leg, StoreParams> answers, UUID poolUuid) {
        List<String> kept = new ArrayList<>();
        for (Leg leg : marked) {
            try {
                Calls.expect(leg, leg.call(new Message.Unmap(poolUuid)), Message.Ok.class);
                leg.refreshParams(answers.get(leg));
            } catch (IOException | PoolException e) {
                kept.add(leg.name() + " (member " + leg.memberId() + ": " + e.getMessage() + ")");
            }
        }
        if (kept.isEmpty()) {
            return marked.isEmpty() ? "no leg was marked" : "rolled back on " + marked.stream().map(Leg::name).toList()
                    + "; no leg is mapped";
        }
        return "could not roll back " + String.join(", ", kept) + ": those stores keep mapped with pool UUID "
                + poolUuid + " but served no IO; delete_store and create_store them again, then map";
    }

    private static StoreParams withMapped(StoreParams p, UUID poolUuid) {
        return new StoreParams(p.poolName(), p.memberId(), p.mappedSizeSectors(), p.chunkSize(), p.sectorSize(), true,
                poolUuid);
    }

    private static void checkParamsAgree(Map<Leg, StoreParams> answers, long sizeSectors) throws PoolException {
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
}
