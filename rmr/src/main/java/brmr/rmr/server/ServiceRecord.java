package brmr.rmr.server;

import brmr.metadata.StoreMetadata;
import brmr.rmr.adapter.PoolStore;
import brmr.rmr.protocol.Message.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.tinylog.Logger;

/**
 * The map version of a pool as one store records it, with the members in service at that version.
 * The client sets it ({@code InService}) when it takes a leg into or out of service; this node
 * takes a member out by itself, at the next version, as soon as it records that the member missed
 * a write, so the record that the member left service is durable before the client acknowledges
 * the write. Every change is persisted before it is visible or answered.
 *
 * <p>Lock order: the persist lock, then this (a leaf); store IO runs under the persist lock only.
 */
final class ServiceRecord {
    private final String pool;
    private final String where;
    private final StoreAccess store;
    /** Orders the changes: a change is checked, persisted and applied under it. */
    private final Object persistLock = new Object();
    /** Guarded by this; written under the persist lock after the store has it. */
    private long version;
    /** Guarded by this; immutable, ascending when this node wrote it. */
    private List<Integer> members;

    /** @param where "pool p on member m", for refusals */
    ServiceRecord(String pool, String where, StoreAccess store) {
        this.pool = pool;
        this.where = where;
        this.store = store;
        PoolStore disk = store.store();
        this.version = disk.mapVersion();
        this.members = List.copyOf(disk.inService());
    }

    /** The record at one moment. */
    record State(long version, List<Integer> members) {
    }

    synchronized State state() {
        return new State(version, members);
    }

    private synchronized long version() {
        return version;
    }

    private synchronized List<Integer> members() {
        return members;
    }

    /**
     * The client's record: {@code newMembers} are in service from {@code newVersion} on. Refused
     * unless the version is newer than the recorded one.
     */
    void set(long newVersion, List<Integer> newMembers) throws RequestException {
        List<Integer> checked = checked(newMembers);
        synchronized (persistLock) {
            long current = version();
            if (newVersion <= current) {
                throw new RequestException(Status.REFUSED, "map version " + newVersion
                        + " is not newer than version " + current + " of " + where);
            }
            persist(newVersion, checked, "set by the client");
        }
    }

    /** {@code discard_my_data}: this node's record no longer claims any member in service, at the next version. */
    void forget() throws RequestException {
        synchronized (persistLock) {
            persist(version() + 1, List.of(), "this node's data discarded by the operator");
        }
    }

    /**
     * This node recorded that {@code missed} lack chunks: those of them in service leave it, at the
     * next map version, durably before this returns. Nothing changes when none is in service.
     */
    void missed(Collection<Integer> missed) throws RequestException {
        if (!anyInService(missed)) {
            return;
        }
        synchronized (persistLock) {
            List<Integer> current = members();
            List<Integer> left = new ArrayList<>(current);
            left.removeAll(missed);
            if (left.size() == current.size()) {
                return;
            }
            List<Integer> gone = new ArrayList<>(current);
            gone.retainAll(missed);
            persist(version() + 1, List.copyOf(left), "member(s) " + gone + " missed writes");
        }
    }

    private synchronized boolean anyInService(Collection<Integer> candidates) {
        for (int member : candidates) {
            if (members.contains(member)) {
                return true;
            }
        }
        return false;
    }

    /** Persists, then applies, a change; the caller holds the persist lock. */
    private void persist(long newVersion, List<Integer> newMembers, String why) throws RequestException {
        store.run("in-service record", disk -> {
            disk.persistService(newVersion, newMembers);
            return null;
        });
        synchronized (this) {
            version = newVersion;
            members = newMembers;
        }
        Logger.info("pool {}: map version {}, members in service {} ({})", pool, newVersion, newMembers, why);
    }

    /** The members, ascending; refused when there are too many, a negative one or one twice. */
    private List<Integer> checked(List<Integer> given) throws RequestException {
        if (given.size() > StoreMetadata.MAX_IN_SERVICE) {
            throw new RequestException(Status.INVALID, "in_service: at most "
                    + StoreMetadata.MAX_IN_SERVICE + " members, got " + given.size());
        }
        List<Integer> sorted = given.stream().sorted().toList();
        for (int i = 0; i < sorted.size(); i++) {
            if (sorted.get(i) < 0) {
                throw new RequestException(Status.INVALID, "in_service: member " + sorted.get(i)
                        + " is not a member id");
            }
            if (i > 0 && sorted.get(i).equals(sorted.get(i - 1))) {
                throw new RequestException(Status.INVALID, "in_service: member " + sorted.get(i) + " is named twice");
            }
        }
        return sorted;
    }
}
