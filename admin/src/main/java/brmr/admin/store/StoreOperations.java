package brmr.admin.store;

import brmr.admin.control.ControlArgs;
import brmr.admin.control.ControlException;
import brmr.device.BlockDevice;
import brmr.device.DeviceException;
import brmr.metadata.BitmapWrites;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataLayout;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import brmr.rmr.PoolException;
import brmr.rmr.adapter.RegisterMode;
import brmr.rmr.adapter.RmrAdapter;
import brmr.rmr.sync.PeerAnswer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.LongStream;
import org.tinylog.Logger;

/**
 * brmr-server's store operations: create, add (re-add or replace), remove and delete. A refused
 * command changes nothing: checks come before any write, and a failure after registering undoes it.
 */
public final class StoreOperations {
    private static final long MAX_MAPPED_SIZE = Long.MAX_VALUE / 512;

    private final RmrAdapter rmr;
    private final PeerStores peers;
    private final BlockDevice.DirectIo directIo;
    private final BitmapWrites bitmapWrites;
    private final Map<String, BrmrStore> stores = new TreeMap<>();

    public StoreOperations(RmrAdapter rmr, PeerStores peers, BlockDevice.DirectIo directIo) {
        this(rmr, peers, directIo, BitmapWrites.DEFAULT);
    }

    /** Store operations whose stores persist their dirty maps by {@code bitmapWrites}. */
    public StoreOperations(RmrAdapter rmr, PeerStores peers, BlockDevice.DirectIo directIo,
            BitmapWrites bitmapWrites) {
        this.rmr = rmr;
        this.peers = peers;
        this.directIo = directIo;
        this.bitmapWrites = bitmapWrites;
    }

    public synchronized Optional<BrmrStore> store(String pool) {
        return Optional.ofNullable(stores.get(pool));
    }

    public synchronized List<String> pools() {
        return new ArrayList<>(stores.keySet());
    }

    public synchronized BrmrStore require(String pool) throws ControlException {
        BrmrStore store = stores.get(pool);
        if (store == null) {
            throw new ControlException("pool", "no store for pool " + pool + " on this node");
        }
        return store;
    }

    /** {@code create_store device= pool= mapped_size=}: a clean disk becomes the pool's store, state OPEN. */
    public synchronized BrmrStore create(String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("create_store", value, List.of("device", "pool", "mapped_size"),
                List.of());
        String pool = args.name("pool");
        long mappedSize = args.number("mapped_size", 1, MAX_MAPPED_SIZE);
        Path path = devicePath(args);
        int chunkSize = checkPoolFree(pool);
        int memberId = memberId(pool);
        BlockDevice device = open(path);
        try {
            MetadataArea area = new MetadataArea(device, bitmapWrites);
            requireNoMetadata(area, path, "use add_store to re-add it");
            MetadataLayout layout = checkFits(device, mappedSize, chunkSize);
            StoreMetadata fresh = StoreMetadata.create(pool, memberId, mappedSize, chunkSize, device.sectorSize(),
                    UUID.randomUUID(), System.currentTimeMillis());
            BrmrStore store = new BrmrStore(device, area, fresh);
            register(pool, store, RegisterMode.CREATE);
            try {
                store.replaceMetadata(area.create(fresh));
            } catch (IOException | RuntimeException e) {
                unregisterQuietly(pool);
                throw new ControlException("device", "cannot write metadata to " + path + ": " + e.getMessage(), e);
            }
            stores.put(pool, store);
            Logger.info("create_store: {} is the store of pool {} ({} sectors, layout {})", path, pool, mappedSize,
                    layout);
            return store;
        } catch (ControlException | RuntimeException e) {
            closeQuietly(device);
            throw e;
        }
    }

    /** {@code add_store device= pool= [mapped_size=] [mode=add|replace]}. */
    public synchronized BrmrStore add(String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("add_store", value, List.of("device", "pool"),
                List.of("mapped_size", "mode"));
        String pool = args.name("pool");
        Optional<Long> mappedSize = args.optionalNumber("mapped_size", 1, MAX_MAPPED_SIZE);
        boolean replace = args.optionalChoice("mode", "add", "replace").orElse("add").equals("replace");
        Path path = devicePath(args);
        int chunkSize = checkPoolFree(pool);
        if (replace && mappedSize.isEmpty()) {
            throw new ControlException("mapped_size", "missing; mode=replace needs the mapped_size the pool was created with");
        }
        BlockDevice device = open(path);
        try {
            MetadataArea area = new MetadataArea(device, bitmapWrites);
            BrmrStore store = replace
                    ? replace(area, device, path, pool, mappedSize.get(), chunkSize)
                    : readd(area, device, path, pool, mappedSize, chunkSize);
            stores.put(pool, store);
            return store;
        } catch (ControlException | RuntimeException e) {
            closeQuietly(device);
            throw e;
        }
    }

    private BrmrStore readd(MetadataArea area, BlockDevice device, Path path, String pool, Optional<Long> mappedSize,
            int chunkSize) throws ControlException {
        StoreMetadata metadata = switch (readMetadata(area, path)) {
            case MetadataState.Present present -> present.newest();
            case MetadataState.Absent absent -> throw new ControlException("device", path
                    + " has no brmr metadata; to add an empty disk in place of a failed one use mode=replace");
            case MetadataState.Unsupported unsupported -> throw unsupported(path, unsupported);
        };
        if (!metadata.poolName().equals(pool)) {
            throw new ControlException("pool", path + " belongs to pool '" + metadata.poolName() + "', not '" + pool
                    + "'");
        }
        if (mappedSize.isPresent() && mappedSize.get() != metadata.mappedSizeSectors()) {
            throw new ControlException("mapped_size", mappedSize.get() + " differs from " + metadata.mappedSizeSectors()
                    + " in the metadata of " + path);
        }
        if (metadata.chunkSize() != chunkSize) {
            throw new ControlException("chunk_size", "the metadata of " + path + " has " + metadata.chunkSize()
                    + ", pool " + pool + " was joined with " + chunkSize);
        }
        int memberId = memberId(pool);
        if (metadata.memberId() != memberId) {
            throw new ControlException("member_id", path + " belongs to member " + metadata.memberId()
                    + ", this node joined pool " + pool + " as member " + memberId);
        }
        if (metadata.layout().requiredDeviceBytes() > device.size()) {
            throw new ControlException("device", path + " has " + device.size() + " bytes, but its metadata needs "
                    + metadata.layout().requiredDeviceBytes() + " (was the disk shrunk?)");
        }
        if (metadata.sectorSize() != device.sectorSize()) {
            throw new ControlException("device", path + " now has " + device.sectorSize()
                    + "-byte sectors, its metadata was written with " + metadata.sectorSize());
        }
        checkUuidAgainstPeers(pool, path, metadata);
        BrmrStore store = new BrmrStore(device, area, metadata);
        register(pool, store, RegisterMode.ADD);
        Logger.info("add_store: {} re-added to pool {} ({})", path, pool, metadata.mapped() ? "mapped" : "open");
        return store;
    }

    private void checkUuidAgainstPeers(String pool, Path path, StoreMetadata metadata) throws ControlException {
        if (metadata.poolUuid() == null) {
            return;
        }
        for (PeerAnswer answer : peers.reachable(pool)) {
            UUID theirs = answer.params() == null ? null : answer.params().poolUuid();
            if (theirs != null && !theirs.equals(metadata.poolUuid())) {
                throw new ControlException("pool_uuid", path + " belongs to pool " + pool + " with UUID "
                        + metadata.poolUuid() + ", but peer " + answer.peer() + " has UUID " + theirs
                        + " (a disk from another pool with the same name?)");
            }
        }
    }

    private BrmrStore replace(MetadataArea area, BlockDevice device, Path path, String pool, long mappedSize,
            int chunkSize) throws ControlException {
        switch (readMetadata(area, path)) {
            case MetadataState.Present present -> throw new ControlException("mode", path
                    + " has brmr metadata (" + describe(present.newest())
                    + "); mode=replace takes an empty disk: re-add it without mode=replace, or delete_store it first");
            case MetadataState.Unsupported unsupported -> throw unsupported(path, unsupported);
            case MetadataState.Absent absent -> {
            }
        }
        checkFits(device, mappedSize, chunkSize);
        UUID poolUuid = verifiedPoolUuid(pool, mappedSize, chunkSize);
        int memberId = memberId(pool);
        StoreMetadata fresh = StoreMetadata.create(pool, memberId, mappedSize, chunkSize, device.sectorSize(),
                UUID.randomUUID(), System.currentTimeMillis()).withPoolUuid(poolUuid).withSlotFor(memberId);
        long chunkCount = fresh.layout().chunkCount();
        BrmrStore store = new BrmrStore(device, area, fresh);
        try {
            // every chunk is durably missing before MAPPED is set, and both before a session can see the store
            store.replaceMetadata(area.create(fresh));
            store.persistDirty(memberId, allChunks(chunkCount), 0, chunkCount);
            store.persistMapped(poolUuid);
        } catch (IOException | RuntimeException e) {
            eraseQuietly(area);
            throw new ControlException("device", "replace on " + path + " failed: " + e.getMessage(), e);
        }
        try {
            register(pool, store, RegisterMode.REPLACE);
        } catch (ControlException e) {
            eraseQuietly(area);
            throw e;
        }
        try {
            // tells the peers too, so that they mark this member as lacking every chunk
            rmr.discard(pool, LongStream.range(0, chunkCount));
        } catch (PoolException | RuntimeException e) {
            unregisterQuietly(pool);
            eraseQuietly(area);
            throw new ControlException("device", "replace on " + path + " failed: " + e.getMessage(), e);
        }
        Logger.info("add_store: {} replaces the store of pool {}; all {} chunks wait for sync", path, pool,
                chunkCount);
        return store;
    }

    /** The bitmap words of a map in which every one of {@code chunkCount} chunks is dirty. */
    private static long[] allChunks(long chunkCount) {
        long[] words = new long[Math.toIntExact((chunkCount + 63) >>> 6)];
        Arrays.fill(words, -1L);
        if (chunkCount % 64 != 0) {
            words[words.length - 1] = (1L << (chunkCount % 64)) - 1;
        }
        return words;
    }

    /** Asks the peers for their store parameters; one mapped peer that matches gives the pool UUID. */
    private UUID verifiedPoolUuid(String pool, long mappedSize, int chunkSize) throws ControlException {
        List<PeerAnswer> answers = peers.reachable(pool);
        if (answers.isEmpty()) {
            throw new ControlException("mode", "replace needs a peer of pool " + pool
                    + " whose store is mapped, but no peer is reachable over the sync sessions");
        }
        ControlException mismatch = null;
        UUID agreed = null;
        for (PeerAnswer answer : answers) {
            var theirs = answer.params();
            if (theirs == null || !theirs.mapped()) {
                continue;
            }
            String field = !theirs.poolName().equals(pool) ? "pool"
                    : theirs.mappedSizeSectors() != mappedSize ? "mapped_size"
                    : theirs.chunkSize() != chunkSize ? "chunk_size"
                    : theirs.poolUuid() == null ? "pool_uuid" : null;
            if (field != null) {
                mismatch = new ControlException(field, "peer " + answer.peer() + " has " + switch (field) {
                    case "pool" -> "pool '" + theirs.poolName() + "'";
                    case "mapped_size" -> "mapped_size " + theirs.mappedSizeSectors() + ", not " + mappedSize;
                    case "chunk_size" -> "chunk_size " + theirs.chunkSize() + ", not " + chunkSize;
                    default -> "no pool UUID";
                });
                continue;
            }
            if (agreed != null && !agreed.equals(theirs.poolUuid())) {
                throw new ControlException("pool_uuid", "peers disagree on the UUID of pool " + pool + " ("
                        + agreed + " and " + theirs.poolUuid() + ")");
            }
            agreed = theirs.poolUuid();
        }
        if (agreed != null) {
            return agreed;
        }
        if (mismatch != null) {
            throw mismatch;
        }
        throw new ControlException("mode", "replace needs a peer of pool " + pool + " whose store is mapped; "
                + answers.size() + " peer(s) reachable, none mapped");
    }

    /**
     * {@code remove_store}: unregisters the store (which returns once no IO is in flight on it), then
     * closes it, keeping its metadata for a later re-add.
     */
    public synchronized void remove(String pool, String value) throws ControlException {
        ControlArgs.requireOne("remove_store", value);
        BrmrStore store = require(pool);
        unregister(pool);
        stores.remove(pool);
        closeQuietly(store.device());
        Logger.info("remove_store: {} removed from pool {}, metadata kept", store.deviceName(), pool);
    }

    /** Daemon shutdown: every store is unregistered (its IO drained) and closed; the metadata stays. */
    public synchronized void closeAll() {
        for (String pool : new ArrayList<>(stores.keySet())) {
            BrmrStore store = stores.remove(pool);
            unregisterQuietly(pool);
            closeQuietly(store.device());
            Logger.info("shutdown: store {} of pool {} closed", store.deviceName(), pool);
        }
    }

    /** {@code delete_store}: as remove, then zeroes the metadata so the disk is empty again. */
    public synchronized void delete(String pool, String value) throws ControlException {
        ControlArgs.requireOne("delete_store", value);
        BrmrStore store = require(pool);
        unregister(pool);
        stores.remove(pool);
        try {
            store.erase();
        } catch (IOException e) {
            throw new ControlException("device", "store of pool " + pool + " removed, but zeroing the metadata on "
                    + store.deviceName() + " failed: " + e.getMessage(), e);
        } finally {
            closeQuietly(store.device());
        }
        Logger.info("delete_store: {} removed from pool {}, metadata zeroed", store.deviceName(), pool);
    }

    private static Path devicePath(ControlArgs args) throws ControlException {
        String text = args.text("device");
        Path path = Path.of(text);
        if (!path.isAbsolute()) {
            throw new ControlException("device", "'" + text + "' must be an absolute path");
        }
        return path.normalize();
    }

    /** Checks the pool is joined and has no store yet; returns its chunk size. */
    private int checkPoolFree(String pool) throws ControlException {
        int chunkSize;
        try {
            chunkSize = rmr.chunkSize(pool);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
        BrmrStore existing = stores.get(pool);
        if (existing != null) {
            throw new ControlException("pool", pool + " already has a store (" + existing.deviceName() + ")");
        }
        return chunkSize;
    }

    private int memberId(String pool) throws ControlException {
        try {
            return rmr.memberId(pool);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
    }

    private BlockDevice open(Path path) throws ControlException {
        for (BrmrStore store : stores.values()) {
            if (sameFile(path, Path.of(store.deviceName()))) {
                throw new ControlException("device", path + " is already the store of pool "
                        + store.metadata().poolName());
            }
        }
        try {
            return BlockDevice.open(path, BlockDevice.Access.EXCLUSIVE, directIo);
        } catch (DeviceException e) {
            throw new ControlException("device", switch (e.call()) {
                case "open" -> "cannot open " + path + " for writing: " + e.reason();
                default -> path + " " + e.reason();
            });
        }
    }

    private static boolean sameFile(Path a, Path b) {
        try {
            return java.nio.file.Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static MetadataState readMetadata(MetadataArea area, Path path) throws ControlException {
        try {
            return area.read();
        } catch (DeviceException e) {
            throw new ControlException("device", "cannot read " + path + ": " + e.reason(), e);
        }
    }

    private static void requireNoMetadata(MetadataArea area, Path path, String hint) throws ControlException {
        switch (readMetadata(area, path)) {
            case MetadataState.Present present -> throw new ControlException("device", path
                    + " already has brmr metadata (" + describe(present.newest()) + "); " + hint);
            case MetadataState.Unsupported unsupported -> throw unsupported(path, unsupported);
            case MetadataState.Absent absent -> {
            }
        }
    }

    private static ControlException unsupported(Path path, MetadataState.Unsupported unsupported) {
        return new ControlException("device", path + " has brmr metadata of format version " + unsupported.version()
                + ", newer than this brmr supports");
    }

    static String describe(StoreMetadata m) {
        return "pool '" + m.poolName() + "', member " + m.memberId() + ", " + m.mappedSizeSectors() + " sectors, "
                + (m.mapped() ? "mapped" : "never mapped");
    }

    private static MetadataLayout checkFits(BlockDevice device, long mappedSize, int chunkSize)
            throws ControlException {
        if (mappedSize * 512 % device.sectorSize() != 0) {
            throw new ControlException("mapped_size", "must be a multiple of " + device.sectorSize() / 512
                    + " sectors on " + device.name() + " (logical sector size " + device.sectorSize() + ")");
        }
        MetadataLayout layout = MetadataLayout.forStore(mappedSize, chunkSize);
        if (layout.requiredDeviceBytes() > device.size()) {
            throw new ControlException("mapped_size", mappedSize + " sectors plus " + layout.dataOffset()
                    + " bytes of metadata need " + layout.requiredDeviceBytes() + " bytes, but " + device.name()
                    + " has " + device.size());
        }
        return layout;
    }

    private void register(String pool, BrmrStore store, RegisterMode mode) throws ControlException {
        try {
            rmr.register(pool, store, mode);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
    }

    private void unregister(String pool) throws ControlException {
        try {
            rmr.unregister(pool);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
    }

    private void unregisterQuietly(String pool) {
        try {
            rmr.unregister(pool);
        } catch (PoolException e) {
            Logger.warn("pool {}: undoing the registration failed: {}", pool, e.getMessage());
        }
    }

    private static void eraseQuietly(MetadataArea area) {
        try {
            area.erase();
        } catch (IOException e) {
            Logger.warn("undoing metadata on {} failed: {}", area, e.getMessage());
        }
    }

    private static void closeQuietly(BlockDevice device) {
        try {
            device.close();
        } catch (DeviceException e) {
            Logger.warn("closing {} failed: {}", device.name(), e.getMessage());
        }
    }
}
