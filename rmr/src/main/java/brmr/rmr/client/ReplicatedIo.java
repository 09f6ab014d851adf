package brmr.rmr.client;

import brmr.rmr.IoOp;
import brmr.rmr.PoolException;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The compute client's IO over the legs of one pool. A write goes to every leg in service (NORMAL;
 * a failed, reconnecting or maintenance leg is named in it as missing) and is
 * acknowledged only when at least one leg took it and, if any leg missed it, at least one leg that
 * took it has durably recorded which members missed its chunks; a torn write on a failing leg is
 * covered by the same record. Reads go round-robin over legs in service that hold the chunks clean
 * and move on to the next such leg when one fails. A flush that fails on a leg records the chunks
 * written since the last flush as missed by it; a flush that fails everywhere keeps them for the next.
 *
 * <p>Locks: {@link #ioLock} is held shared by every write and flush and alone by a map update and
 * enable, so that no write slips past a leg's map update. {@code unflushed} and the client's view of
 * dirty chunks take no lock, so the ioLock is the only lock a write takes. It is a {@link StampedLock}:
 * a reentrant read lock would keep a per-thread hold count, a new ThreadLocal map for every request's
 * virtual thread; the exclusive side is reentrant by hand (a leg's enable runs inside a rejoin's).
 */
final class ReplicatedIo {
    private final String pool;
    private final int chunkSize;
    private final Supplier<List<Leg>> legs;
    private final BiConsumer<Leg, String> failed;
    private final KnownDirty known;
    private final StampedLock ioLock = new StampedLock();
    /** The thread running an exclusive action, or null; written while holding ioLock exclusively. */
    private volatile Thread exclusiveOwner;
    /** Lock-free: chunks written since the last flush that succeeded; below 2^31, as flush hands them on as a BitSet. */
    private final ChunkBits unflushed = new ChunkBits(1L << 31);
    private final AtomicInteger readCursor = new AtomicInteger();
    /** Set by every write; taken when the legs are told to forget their active chunks. */
    private final AtomicBoolean written = new AtomicBoolean();

    /** An action run while no write is in flight. */
    @FunctionalInterface
    interface Exclusive {
        void run() throws IOException, PoolException;
    }

    ReplicatedIo(String pool, int chunkSize, Supplier<List<Leg>> legs, BiConsumer<Leg, String> failed,
            KnownDirty known) {
        this.pool = pool;
        this.chunkSize = chunkSize;
        this.legs = legs;
        this.failed = failed;
        this.known = known;
    }

    /** Runs {@code action} with writes held off (a leg's map update and enable). */
    void exclusive(Exclusive action) throws IOException, PoolException {
        if (exclusiveOwner == Thread.currentThread()) {
            action.run();
            return;
        }
        long stamp = ioLock.writeLock();
        exclusiveOwner = Thread.currentThread();
        try {
            action.run();
        } finally {
            exclusiveOwner = null;
            ioLock.unlockWrite(stamp);
        }
    }

    /** Whether any write was acknowledged since the last call. */
    boolean takeWritten() {
        return written.getAndSet(false);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset} straight into {@code dst}, from one clean leg. */
    void read(long offset, MemorySegment dst) throws IOException {
        int length = Math.toIntExact(dst.byteSize());
        long first = offset / chunkSize;
        long last = (offset + length - 1) / chunkSize;
        List<Leg> candidates = new ArrayList<>();
        for (Leg leg : legs.get()) {
            if (leg.state() == SessionState.NORMAL && known.holdsClean(leg.memberId(), first, last)) {
                candidates.add(leg);
            }
        }
        if (candidates.isEmpty()) {
            throw new IOException("pool " + pool + ": no leg in service holds chunks " + first + ".." + last
                    + " clean");
        }
        int start = Math.floorMod(readCursor.getAndIncrement(), candidates.size());
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Leg leg = candidates.get((start + i) % candidates.size());
            Message reply;
            long sent = System.nanoTime();
            try {
                reply = leg.call(new Message.Read(offset, length), dst);
            } catch (IOException e) {
                leg.ioStats().record(IoOp.READ, length, System.nanoTime() - sent, false);
                errors.add(leg.name() + ": " + e.getMessage());
                failed.accept(leg, e.getMessage());
                continue;
            }
            boolean read = reply instanceof Message.Data data && data.data().byteSize() == length;
            leg.ioStats().record(IoOp.READ, length, System.nanoTime() - sent, read);
            if (read) {
                return;
            }
            errors.add(leg.name() + ": " + Calls.describe(reply));
            if (Calls.isDirty(reply)) {
                known.mark(List.of(leg.memberId()), first, last);
            } else {
                failed.accept(leg, "read of " + offset + "+" + length + " failed: " + Calls.describe(reply));
            }
        }
        throw new IOException("pool " + pool + ": read of " + offset + "+" + length + " failed on every leg: "
                + String.join("; ", errors));
    }

    /** Sends {@code src} itself to every leg in service (no copy); it must not change until this returns. */
    void write(long offset, MemorySegment src) throws IOException {
        replicate(offset, Math.toIntExact(src.byteSize()), missing -> new Message.Write(offset, missing, src));
    }

    void writeZeroes(long offset, int length) throws IOException {
        replicate(offset, length, missing -> new Message.WriteZeroes(offset, length, missing));
    }

    /** Replicated like a write: afterwards the range reads as zeroes on every leg that took it. */
    void trim(long offset, int length) throws IOException {
        replicate(offset, length, missing -> new Message.Trim(offset, length, missing));
    }

    private void replicate(long offset, int length, Function<List<Integer>, Message> request) throws IOException {
        long first = offset / chunkSize;
        long last = (offset + length - 1) / chunkSize;
        String what = "write of " + offset + "+" + length;
        long stamp = ioLock.readLock();
        try {
            List<Leg> inService = new ArrayList<>();
            List<Integer> notInService = new ArrayList<>();
            for (Leg leg : legs.get()) {
                if (leg.state() == SessionState.NORMAL) {
                    inService.add(leg);
                } else if (leg.memberId() >= 0) {
                    notInService.add(leg.memberId());
                }
            }
            // a member is a member whether or not this client has a session to it
            for (int member : known.members()) {
                if (!notInService.contains(member) && inService.stream().noneMatch(l -> l.memberId() == member)) {
                    notInService.add(member);
                }
            }
            if (inService.isEmpty()) {
                throw new IOException("pool " + pool + ": " + what + ": no leg in service");
            }
            List<Leg> took = new ArrayList<>();
            List<Integer> missedNow = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            for (Map.Entry<Leg, Message> reply : Calls.all(inService, request.apply(notInService), IoOp.WRITE, length).entrySet()) {
                Leg leg = reply.getKey();
                if (reply.getValue() instanceof Message.Ok) {
                    took.add(leg);
                    continue;
                }
                missedNow.add(leg.memberId());
                errors.add(leg.name() + ": " + Calls.describe(reply.getValue()));
                if (!Calls.isDirty(reply.getValue())) {
                    failed.accept(leg, what + " failed: " + Calls.describe(reply.getValue()));
                }
            }
            if (took.isEmpty()) {
                throw new IOException("pool " + pool + ": " + what + " failed on every leg: "
                        + String.join("; ", errors));
            }
            if (!missedNow.isEmpty() && recordMissed(took, missedNow, first, last).isEmpty()) {
                throw new IOException("pool " + pool + ": " + what + " landed on " + names(took)
                        + ", but no leg could record that member(s) " + missedNow + " missed it");
            }
            List<Integer> missed = new ArrayList<>(notInService);
            missed.addAll(missedNow);
            known.mark(missed, first, last);
            written.set(true);
            unflushed.set(first, last);
        } finally {
            ioLock.unlockRead(stamp);
        }
    }

    /**
     * Tells the legs that took a write which members missed it; returns the legs that recorded it.
     * A leg that cannot record it is failed too.
     */
    private List<Leg> recordMissed(List<Leg> took, List<Integer> members, long first, long last) {
        List<Leg> recorded = new ArrayList<>();
        for (Map.Entry<Leg, Message> reply : Calls.all(took, new Message.MarkDirty(members, first, last)).entrySet()) {
            if (reply.getValue() instanceof Message.Ok) {
                recorded.add(reply.getKey());
            } else {
                failed.accept(reply.getKey(), "recording that member(s) " + members + " missed chunks " + first + ".."
                        + last + " failed: " + Calls.describe(reply.getValue()));
            }
        }
        return recorded;
    }

    void flush() throws IOException {
        long stamp = ioLock.readLock();
        try {
            BitSet written = unflushed.take();
            try {
                flushLegs(written);
            } catch (IOException e) {
                unflushed.setAll(written);
                throw e;
            }
        } finally {
            ioLock.unlockRead(stamp);
        }
    }

    /**
     * Flushes the legs in service. Every other member -- out of service now, or failing this flush --
     * may have lost what was written since the last flush, so it is recorded as lacking those chunks.
     */
    private void flushLegs(BitSet written) throws IOException {
        List<Leg> inService = new ArrayList<>();
        List<Integer> missed = new ArrayList<>();
        for (Leg leg : legs.get()) {
            if (leg.state() == SessionState.NORMAL) {
                inService.add(leg);
            } else if (leg.memberId() >= 0) {
                missed.add(leg.memberId());
            }
        }
        if (inService.isEmpty()) {
            throw new IOException("pool " + pool + ": flush: no leg in service");
        }
        List<Leg> flushed = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Map.Entry<Leg, Message> reply : Calls.all(inService, new Message.Flush(), IoOp.FLUSH, 0).entrySet()) {
            if (reply.getValue() instanceof Message.Ok) {
                flushed.add(reply.getKey());
            } else {
                missed.add(reply.getKey().memberId());
                errors.add(reply.getKey().name() + ": " + Calls.describe(reply.getValue()));
                failed.accept(reply.getKey(), "flush failed: " + Calls.describe(reply.getValue()));
            }
        }
        if (flushed.isEmpty()) {
            throw new IOException("pool " + pool + ": flush failed on every leg: " + String.join("; ", errors));
        }
        if (missed.isEmpty()) {
            return;
        }
        for (int from = written.nextSetBit(0); from >= 0; from = written.nextSetBit(written.nextClearBit(from))) {
            int to = written.nextClearBit(from) - 1;
            if (recordMissed(flushed, missed, from, to).isEmpty()) {
                throw new IOException("pool " + pool + ": flush failed on " + missed
                        + " and no leg could record what they missed");
            }
            known.mark(missed, from, to);
        }
    }

    private static String names(List<Leg> legs) {
        return legs.stream().map(Leg::name).toList().toString();
    }
}
