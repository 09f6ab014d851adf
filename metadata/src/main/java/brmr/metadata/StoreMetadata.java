package brmr.metadata;

import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The metadata of one store, as kept in its device's header. Immutable: the {@code with}
 * methods return changed copies. Invalid values are refused with an IllegalArgumentException
 * whose message names the field as the header table does (pool_name, mapped_size, ...).
 *
 * @param formatVersion   header format version the metadata was read with (or will be written with)
 * @param generation      0 until written; each write of the header increments it
 * @param poolUuid        null until the first client map
 * @param storeUuid       random per disk, fixed at creation
 * @param sectorSize      logical sector size of the device at creation
 * @param mapped          the MAPPED flag
 * @param layout          must equal {@link MetadataLayout#forStore} of mapped size and chunk size
 * @param slotMembers     member id owning each bitmap slot, {@link #FREE_SLOT} when free, {@link #ACTIVE_CHUNKS}
 *                        for the slot of the active-chunks record (at most one)
 * @param writerEpoch     the epoch of the pool's writer, 0 while no client has been its writer
 * @param writerClient    the identity of the client writing in {@code writerEpoch}, null exactly when the epoch is 0
 * @param mapVersion      the pool's map version this store last recorded, 0 before any
 * @param inService       the members in service at {@code mapVersion} (at most {@link #MAX_IN_SERVICE}, no
 *                        duplicates, in the order recorded); empty before any
 */
public record StoreMetadata(int formatVersion, long generation, String poolName, UUID poolUuid, UUID storeUuid,
        long mappedSizeSectors, int chunkSize, int sectorSize, boolean mapped, int memberId, MetadataLayout layout,
        int[] slotMembers, long createdAtMillis, long updatedAtMillis, long writerEpoch, UUID writerClient,
        long mapVersion, List<Integer> inService) {
    public static final int MAX_POOL_NAME_BYTES = 64;
    public static final int FREE_SLOT = -1;
    /**
     * The owner id of the bitmap slot that holds the active-chunks record (chunks this store may
     * have written without every leg having them); never a member id, which are not negative.
     */
    public static final int ACTIVE_CHUNKS = -2;
    /** How many members {@code in_service} holds at most. */
    public static final int MAX_IN_SERVICE = 8;
    public static final int MIN_SECTOR_SIZE = 512;
    public static final int MAX_SECTOR_SIZE = 65536;
    private static final UUID NIL = new UUID(0, 0);

    public StoreMetadata {
        if (formatVersion < 1 || formatVersion > MetadataCodec.FORMAT_VERSION) {
            throw new IllegalArgumentException("format_version must be in 1.." + MetadataCodec.FORMAT_VERSION
                    + ", got " + formatVersion);
        }
        if (generation < 0) {
            throw new IllegalArgumentException("generation must not be negative, got " + generation);
        }
        poolNameBytes(poolName);
        if (storeUuid == null || storeUuid.equals(NIL)) {
            throw new IllegalArgumentException("store_uuid must be set and not the nil UUID");
        }
        if (NIL.equals(poolUuid)) {
            throw new IllegalArgumentException("pool_uuid must not be the nil UUID (null means unset)");
        }
        if (mapped && poolUuid == null) {
            throw new IllegalArgumentException("pool_uuid must be set on a mapped store");
        }
        if (sectorSize < MIN_SECTOR_SIZE || sectorSize > MAX_SECTOR_SIZE || Integer.bitCount(sectorSize) != 1) {
            throw new IllegalArgumentException("sector_size must be a power of two in " + MIN_SECTOR_SIZE + ".."
                    + MAX_SECTOR_SIZE + ", got " + sectorSize);
        }
        if (memberId < 0) {
            throw new IllegalArgumentException("member_id must not be negative, got " + memberId);
        }
        if (!MetadataLayout.forStore(mappedSizeSectors, chunkSize).equals(layout)) {
            throw new IllegalArgumentException("layout " + layout + " does not match mapped_size "
                    + mappedSizeSectors + " and chunk_size " + chunkSize);
        }
        slotMembers = checkedSlots(slotMembers);
        if (createdAtMillis < 0) {
            throw new IllegalArgumentException("created must not be negative, got " + createdAtMillis);
        }
        if (updatedAtMillis < 0) {
            throw new IllegalArgumentException("updated must not be negative, got " + updatedAtMillis);
        }
        checkWriter(writerEpoch, writerClient);
        inService = checkedService(mapVersion, inService);
    }

    private static List<Integer> checkedService(long mapVersion, List<Integer> inService) {
        if (mapVersion < 0) {
            throw new IllegalArgumentException("map_version must not be negative, got " + mapVersion);
        }
        if (inService == null) {
            throw new IllegalArgumentException("in_service must be a list of members (empty for none)");
        }
        if (inService.size() > MAX_IN_SERVICE) {
            throw new IllegalArgumentException("in_service holds at most " + MAX_IN_SERVICE + " members, got "
                    + inService.size());
        }
        for (int i = 0; i < inService.size(); i++) {
            Integer member = inService.get(i);
            if (member == null || member < 0) {
                throw new IllegalArgumentException("in_service[" + i + "] must be a member id, got " + member);
            }
            if (inService.subList(0, i).contains(member)) {
                throw new IllegalArgumentException("in_service holds member " + member + " twice");
            }
        }
        return List.copyOf(inService);
    }

    private static void checkWriter(long writerEpoch, UUID writerClient) {
        if (writerEpoch < 0) {
            throw new IllegalArgumentException("writer_epoch must not be negative, got " + writerEpoch);
        }
        if (NIL.equals(writerClient)) {
            throw new IllegalArgumentException("writer_client must not be the nil UUID (null means none)");
        }
        if (writerEpoch > 0 && writerClient == null) {
            throw new IllegalArgumentException("writer_client must be set for writer_epoch " + writerEpoch);
        }
        if (writerEpoch == 0 && writerClient != null) {
            throw new IllegalArgumentException("writer_client must be unset while writer_epoch is 0, got "
                    + writerClient);
        }
    }

    /**
     * The metadata of a newly created store: generation 0, not mapped, no pool UUID, every slot free,
     * no writer, map version 0 with no member in service.
     */
    public static StoreMetadata create(String poolName, int memberId, long mappedSizeSectors, int chunkSize,
            int sectorSize, UUID storeUuid, long nowMillis) {
        int[] slots = new int[MetadataLayout.BITMAP_SLOTS];
        Arrays.fill(slots, FREE_SLOT);
        return new StoreMetadata(MetadataCodec.FORMAT_VERSION, 0, poolName, null, storeUuid, mappedSizeSectors,
                chunkSize, sectorSize, false, memberId, MetadataLayout.forStore(mappedSizeSectors, chunkSize), slots,
                nowMillis, nowMillis, 0, null, 0, List.of());
    }

    /** The pool name in UTF-8; refuses names that are empty, longer than 64 bytes or not well-formed. */
    static byte[] poolNameBytes(String poolName) {
        if (poolName == null || poolName.isEmpty()) {
            throw new IllegalArgumentException("pool_name must not be empty");
        }
        byte[] bytes;
        try {
            var encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(poolName));
            bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("pool_name is not valid Unicode text");
        }
        if (bytes.length > MAX_POOL_NAME_BYTES) {
            throw new IllegalArgumentException("pool_name must be at most " + MAX_POOL_NAME_BYTES
                    + " bytes in UTF-8, got " + bytes.length);
        }
        return bytes;
    }

    private static int[] checkedSlots(int[] slotMembers) {
        if (slotMembers == null || slotMembers.length != MetadataLayout.BITMAP_SLOTS) {
            throw new IllegalArgumentException("slot_members must hold " + MetadataLayout.BITMAP_SLOTS + " entries");
        }
        int[] copy = slotMembers.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i] < ACTIVE_CHUNKS) {
                throw new IllegalArgumentException("slot_members[" + i + "] must be a member id, -1 (free) or -2 "
                        + "(active chunks), got " + copy[i]);
            }
            for (int j = 0; j < i; j++) {
                if (copy[i] != FREE_SLOT && copy[i] == copy[j]) {
                    throw new IllegalArgumentException("slot_members holds " + owner(copy[i]) + " twice (slots " + j
                            + " and " + i + ")");
                }
            }
        }
        return copy;
    }

    private static String owner(int slotOwner) {
        return slotOwner == ACTIVE_CHUNKS ? "the active-chunks record" : "member " + slotOwner;
    }

    @Override
    public int[] slotMembers() {
        return slotMembers.clone();
    }

    /** The bitmap slot of {@code member} (or of {@link #ACTIVE_CHUNKS}), or -1 if it has none. */
    public int slotOf(int member) {
        if (member < ACTIVE_CHUNKS || member == FREE_SLOT) {
            return FREE_SLOT;
        }
        for (int i = 0; i < slotMembers.length; i++) {
            if (slotMembers[i] == member) {
                return i;
            }
        }
        return FREE_SLOT;
    }

    /**
     * Assigns the first free bitmap slot to {@code member} (or to {@link #ACTIVE_CHUNKS}); returns
     * this if it already has one.
     */
    public StoreMetadata withSlotFor(int member) {
        if (member < 0 && member != ACTIVE_CHUNKS) {
            throw new IllegalArgumentException("member_id must not be negative, got " + member);
        }
        if (slotOf(member) >= 0) {
            return this;
        }
        for (int i = 0; i < slotMembers.length; i++) {
            if (slotMembers[i] == FREE_SLOT) {
                int[] slots = slotMembers.clone();
                slots[i] = member;
                return new StoreMetadata(formatVersion, generation, poolName, poolUuid, storeUuid, mappedSizeSectors,
                        chunkSize, sectorSize, mapped, memberId, layout, slots, createdAtMillis, updatedAtMillis,
                        writerEpoch, writerClient, mapVersion, inService);
            }
        }
        throw new IllegalStateException("all " + slotMembers.length + " bitmap slots are taken (owners "
                + Arrays.toString(slotMembers) + "), none left for " + owner(member));
    }

    /** Sets MAPPED and the pool UUID generated at the first client map. */
    public StoreMetadata withMapped(UUID newPoolUuid) {
        Objects.requireNonNull(newPoolUuid, "pool_uuid");
        return new StoreMetadata(formatVersion, generation, poolName, newPoolUuid, storeUuid, mappedSizeSectors,
                chunkSize, sectorSize, true, memberId, layout, slotMembers, createdAtMillis, updatedAtMillis,
                writerEpoch, writerClient, mapVersion, inService);
    }

    /**
     * Clears MAPPED, the pool UUID and the writer: undoes a first client map that did not reach
     * every leg, after which the store has had no writer.
     */
    public StoreMetadata withUnmapped() {
        return new StoreMetadata(formatVersion, generation, poolName, null, storeUuid, mappedSizeSectors, chunkSize,
                sectorSize, false, memberId, layout, slotMembers, createdAtMillis, updatedAtMillis, 0, null, mapVersion,
                inService);
    }

    public StoreMetadata withPoolUuid(UUID newPoolUuid) {
        return new StoreMetadata(formatVersion, generation, poolName, newPoolUuid, storeUuid, mappedSizeSectors,
                chunkSize, sectorSize, mapped, memberId, layout, slotMembers, createdAtMillis, updatedAtMillis,
                writerEpoch, writerClient, mapVersion, inService);
    }

    /**
     * Records the pool's writer: the client {@code client} writes in epoch {@code epoch}. Epoch 0
     * with a null client means no writer; a positive epoch needs a client.
     */
    public StoreMetadata withWriter(long epoch, UUID client) {
        checkWriter(epoch, client);
        return new StoreMetadata(formatVersion, generation, poolName, poolUuid, storeUuid, mappedSizeSectors,
                chunkSize, sectorSize, mapped, memberId, layout, slotMembers, createdAtMillis, updatedAtMillis, epoch,
                client, mapVersion, inService);
    }

    /**
     * Records that {@code members} are in service from map version {@code version} on.
     *
     * @throws IllegalArgumentException naming map_version when the version is negative, or in_service
     *         when there are more than {@link #MAX_IN_SERVICE} members, a negative one or one twice
     */
    public StoreMetadata withService(long version, List<Integer> members) {
        List<Integer> checked = checkedService(version, members);
        return new StoreMetadata(formatVersion, generation, poolName, poolUuid, storeUuid, mappedSizeSectors,
                chunkSize, sectorSize, mapped, memberId, layout, slotMembers, createdAtMillis, updatedAtMillis,
                writerEpoch, writerClient, version, checked);
    }

    /**
     * The copy that is written as a header: only {@link MetadataArea} assigns generations, and a
     * header is always written in the current format version.
     */
    StoreMetadata withGeneration(long newGeneration, long newUpdatedAtMillis) {
        return new StoreMetadata(MetadataCodec.FORMAT_VERSION, newGeneration, poolName, poolUuid, storeUuid,
                mappedSizeSectors, chunkSize, sectorSize, mapped, memberId, layout, slotMembers, createdAtMillis,
                newUpdatedAtMillis, writerEpoch, writerClient, mapVersion, inService);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StoreMetadata m
                && formatVersion == m.formatVersion
                && generation == m.generation
                && poolName.equals(m.poolName)
                && Objects.equals(poolUuid, m.poolUuid)
                && storeUuid.equals(m.storeUuid)
                && mappedSizeSectors == m.mappedSizeSectors
                && chunkSize == m.chunkSize
                && sectorSize == m.sectorSize
                && mapped == m.mapped
                && memberId == m.memberId
                && layout.equals(m.layout)
                && Arrays.equals(slotMembers, m.slotMembers)
                && createdAtMillis == m.createdAtMillis
                && updatedAtMillis == m.updatedAtMillis
                && writerEpoch == m.writerEpoch
                && Objects.equals(writerClient, m.writerClient)
                && mapVersion == m.mapVersion
                && inService.equals(m.inService);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hash(formatVersion, generation, poolName, poolUuid, storeUuid, mappedSizeSectors,
                chunkSize, sectorSize, mapped, memberId, layout, createdAtMillis, updatedAtMillis, writerEpoch,
                writerClient, mapVersion, inService) + Arrays.hashCode(slotMembers);
    }

    @Override
    public String toString() {
        return "StoreMetadata[formatVersion=" + formatVersion + ", generation=" + generation + ", poolName="
                + poolName + ", poolUuid=" + poolUuid + ", storeUuid=" + storeUuid + ", mappedSizeSectors="
                + mappedSizeSectors + ", chunkSize=" + chunkSize + ", sectorSize=" + sectorSize + ", mapped="
                + mapped + ", memberId=" + memberId + ", layout=" + layout + ", slotMembers="
                + Arrays.toString(slotMembers) + ", createdAtMillis=" + createdAtMillis + ", updatedAtMillis="
                + updatedAtMillis + ", writerEpoch=" + writerEpoch + ", writerClient=" + writerClient + ", mapVersion="
                + mapVersion + ", inService=" + inService + "]";
    }
}
