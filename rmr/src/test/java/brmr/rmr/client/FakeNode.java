package brmr.rmr.client;

import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * An in-process storage node for the replication core's tests: holds a small data area and the
 * dirty maps of every member, answers the compute-session requests, and fails, tears or hangs on
 * command. Every request it received is logged in {@link #events()} as "Type" or "Type detail".
 */
final class FakeNode {
    static final int CHUNK = 4096;
    static final long CHUNKS = 16;

    final int member;
    final InetSocketAddress address;
    private final byte[] data = new byte[(int) (CHUNK * CHUNKS)];
    /** Guarded by this: bit c of member m's set means m lacks chunk c. */
    private final Map<Integer, BitSet> dirty = new TreeMap<>();
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final List<FakeChannel> channels = new CopyOnWriteArrayList<>();
    /** Guarded by this: the chunks written since the last ActivityResolved, the map version and its members. */
    private final BitSet active = new BitSet();
    private long mapVersion;
    private List<Integer> inService = List.of();
    private volatile boolean mapped;
    private volatile UUID poolUuid;
    private volatile Message.Status failWrites;
    private volatile boolean tearWrites;
    private volatile Message.Status failFlushes;
    private volatile Message.Status failReads;
    private volatile Message.Status failMarkMapped;
    private volatile String refuseJoins;
    private volatile String fenced;
    private volatile boolean unreachable;
    private volatile CountDownLatch hang;
    private volatile CountDownLatch markDirtyGate;

    FakeNode(int member) {
        this.member = member;
        this.address = InetSocketAddress.createUnresolved("node" + member, 7000 + member);
    }

    // ---- behaviour on command ----

    void failWrites(Message.Status status) {
        failWrites = status;
    }

    /** Writes land half-way (the first half of their bytes), then fail with IO_ERROR. */
    void tearWrites() {
        tearWrites = true;
    }

    void failFlushes(Message.Status status) {
        failFlushes = status;
    }

    void failReads(Message.Status status) {
        failReads = status;
    }

    void failMarkMapped(Message.Status status) {
        failMarkMapped = status;
    }

    /** Hello is answered with FENCED and this text: another client took the pool over. */
    void fence(String why) {
        fenced = why;
    }

    /** Hello is answered with REFUSED and this text (null: joins are accepted). */
    void refuseJoins(String why) {
        refuseJoins = why;
    }

    /** Connection attempts fail as if nothing listened (a crashed node). */
    void unreachable(boolean down) {
        unreachable = down;
        if (down) {
            channels.forEach(FakeChannel::close);
        }
    }

    /** From now on no request is answered until {@link #resume()} (a frozen process). */
    void freeze() {
        hang = new CountDownLatch(1);
    }

    void resume() {
        CountDownLatch frozen = hang;
        hang = null;
        if (frozen != null) {
            frozen.countDown();
        }
    }

    /** MarkDirty requests are recorded but not answered until the returned latch is counted down. */
    CountDownLatch holdMarkDirty() {
        markDirtyGate = new CountDownLatch(1);
        return markDirtyGate;
    }

    // ---- what the node holds ----

    List<String> events() {
        return events;
    }

    boolean received(String event) {
        return events.contains(event);
    }

    synchronized boolean isDirty(int forMember, long chunk) {
        BitSet bits = dirty.get(forMember);
        return bits != null && bits.get((int) chunk);
    }

    synchronized void markDirty(int forMember, long chunk) {
        dirty.computeIfAbsent(forMember, m -> new BitSet()).set((int) chunk);
        if (inService.contains(forMember)) {
            // as a storage node does: a member that missed writes leaves service at a new map version
            inService = inService.stream().filter(m -> m != forMember).toList();
            mapVersion++;
        }
    }

    boolean mapped() {
        return mapped;
    }

    synchronized byte[] bytes(long offset, int length) {
        return Arrays.copyOfRange(data, (int) offset, (int) offset + length);
    }

    synchronized void fill(byte value) {
        Arrays.fill(data, value);
    }

    // ---- the channel ----

    LegChannel open(Consumer<Throwable> onClosed) throws java.io.IOException {
        if (unreachable) {
            throw new java.io.IOException("connection refused by " + address);
        }
        FakeChannel channel = new FakeChannel(onClosed);
        channels.add(channel);
        return channel;
    }

    private final class FakeChannel implements LegChannel {
        private final Consumer<Throwable> onClosed;
        private final List<CompletableFuture<Message>> pending = new CopyOnWriteArrayList<>();
        private volatile boolean closed;

        FakeChannel(Consumer<Throwable> onClosed) {
            this.onClosed = onClosed;
        }

        @Override
        public CompletableFuture<Message> call(Message request) {
            CompletableFuture<Message> reply = new CompletableFuture<>();
            if (closed) {
                return CompletableFuture.failedFuture(new java.io.IOException("channel to " + address + " closed"));
            }
            pending.add(reply);
            Thread.ofVirtual().start(() -> {
                CountDownLatch frozen = hang;
                if (frozen != null) {
                    try {
                        frozen.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (!closed) {
                    Message answer = answer(request);
                    pending.remove(reply);
                    reply.complete(answer);
                }
            });
            return reply;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            java.io.IOException cause = new java.io.IOException("channel to " + address + " closed");
            pending.forEach(reply -> reply.completeExceptionally(cause));
            onClosed.accept(cause);
        }
    }

    private Message answer(Message request) {
        String type = request.getClass().getSimpleName();
        return switch (request) {
            case Message.Hello h -> {
                events.add(type);
                yield fenced != null ? new Message.Failure(Message.Status.FENCED, fenced)
                        : refuseJoins != null ? new Message.Failure(Message.Status.REFUSED, refuseJoins)
                        : new Message.HelloOk(member, "CREATED", params());
            }
            case Message.Ping p -> new Message.Ok();
            case Message.Enable e -> log(type, new Message.Ok());
            case Message.Maintenance m -> log(type, new Message.Ok());
            case Message.Leave l -> log(type, new Message.Ok());
            case Message.QueryParams q -> log(type, new Message.Params(params()));
            case Message.MarkMapped m -> {
                events.add(type);
                if (failMarkMapped != null) {
                    yield new Message.Failure(failMarkMapped, "cannot record MAPPED on node" + member);
                }
                poolUuid = m.poolUuid();
                mapped = true;
                yield new Message.Ok();
            }
            case Message.Unmap u -> {
                events.add(type);
                mapped = false;
                poolUuid = null;
                yield new Message.Ok();
            }
            case Message.ClaimWriter c -> log(type + " " + c.epoch(), new Message.Ok());
            case Message.GetRecovery g -> log(type, recoveryState());
            case Message.InService i -> {
                events.add(type + " " + i.mapVersion() + " " + i.members());
                synchronized (this) {
                    mapVersion = i.mapVersion();
                    inService = i.members();
                }
                yield new Message.Ok();
            }
            case Message.ActivityResolved a -> {
                events.add(type);
                synchronized (this) {
                    active.clear();
                }
                yield new Message.Ok();
            }
            case Message.GetMaps g -> log(type, maps());
            case Message.MapUpdate u -> {
                events.add(type);
                applyUpdate(u.maps());
                yield new Message.Ok();
            }
            case Message.Read r -> {
                events.add(type + " " + r.offset() + "+" + r.length());
                yield failReads != null ? new Message.Failure(failReads, "read failed on node" + member)
                        : new Message.Data(MemorySegment.ofArray(bytes(r.offset(), r.length())));
            }
            case Message.Write w -> write("Write", w.offset(), w.data().toArray(ValueLayout.JAVA_BYTE), w.missingMembers());
            case Message.WriteZeroes z -> write("Write", z.offset(), new byte[z.length()], z.missingMembers());
            case Message.Trim t -> write("Trim", t.offset(), new byte[t.length()], t.missingMembers());
            case Message.MarkDirty d -> {
                events.add(type + " " + d.members() + " " + d.firstChunk() + ".." + d.lastChunk());
                for (long chunk = d.firstChunk(); chunk <= d.lastChunk(); chunk++) {
                    for (int m : d.members()) {
                        markDirty(m, chunk);
                    }
                }
                CountDownLatch gate = markDirtyGate;
                if (gate != null) {
                    try {
                        gate.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                yield new Message.Ok();
            }
            case Message.Flush f -> {
                events.add(type);
                yield failFlushes != null ? new Message.Failure(failFlushes, "fdatasync failed on node" + member)
                        : new Message.Ok();
            }
            default -> new Message.Failure(Message.Status.PROTOCOL, type + " is not a compute request");
        };
    }

    private Message log(String event, Message reply) {
        events.add(event);
        return reply;
    }

    /** A write, write-zeroes or trim ({@code kind} in the event): a trim reads back as zeroes here. */
    private synchronized Message write(String kind, long offset, byte[] bytes, List<Integer> missing) {
        events.add(kind + " " + offset + "+" + bytes.length + " missing " + missing);
        for (int m : missing) {
            for (long chunk = offset / CHUNK; chunk <= (offset + bytes.length - 1) / CHUNK; chunk++) {
                markDirty(m, chunk);
            }
        }
        if (failWrites != null) {
            return new Message.Failure(failWrites, "pwrite failed on node" + member);
        }
        active.set((int) (offset / CHUNK), (int) ((offset + bytes.length - 1) / CHUNK) + 1);
        if (tearWrites) {
            System.arraycopy(bytes, 0, data, (int) offset, bytes.length / 2);
            return new Message.Failure(Message.Status.IO_ERROR, "pwrite tore after " + bytes.length / 2 + " bytes");
        }
        System.arraycopy(bytes, 0, data, (int) offset, bytes.length);
        return new Message.Ok();
    }

    private synchronized Message.RecoveryState recoveryState() {
        return new Message.RecoveryState(0, mapVersion, inService, active.stream().asLongStream().toArray());
    }

    /** Chunks written since the last ActivityResolved. */
    synchronized long[] activeChunks() {
        return active.stream().asLongStream().toArray();
    }

    private StoreParams params() {
        return new StoreParams("p", member, CHUNK * CHUNKS / 512, CHUNK, 512, mapped, poolUuid);
    }

    private synchronized Message.Maps maps() {
        List<Message.MemberMap> maps = new ArrayList<>();
        dirty.forEach((m, bits) -> maps.add(new Message.MemberMap(m, Arrays.copyOf(bits.toLongArray(), 1))));
        return new Message.Maps(CHUNKS, maps);
    }

    /** Other members' maps are replaced by the update's; this member's own map only gains bits. */
    private synchronized void applyUpdate(Message.Maps update) {
        Map<Integer, BitSet> given = new TreeMap<>();
        update.maps().forEach(map -> given.put(map.member(), BitSet.valueOf(map.words())));
        for (int m : new ArrayList<>(given.keySet())) {
            dirty.computeIfAbsent(m, x -> new BitSet());
        }
        dirty.forEach((m, bits) -> {
            BitSet theirs = given.getOrDefault(m, new BitSet());
            if (m == member) {
                bits.or(theirs);
            } else {
                bits.clear();
                bits.or(theirs);
            }
        });
    }
}
