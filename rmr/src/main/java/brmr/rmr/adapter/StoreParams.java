package brmr.rmr.adapter;

import java.util.UUID;

/**
 * The parameters of a store that legs of a pool must agree on, as a peer or the compute client
 * sees them.
 *
 * @param poolUuid null until the first client map
 */
public record StoreParams(String poolName, int memberId, long mappedSizeSectors, int chunkSize, int sectorSize,
        boolean mapped, UUID poolUuid) {

    public long dataBytes() {
        return mappedSizeSectors * 512;
    }

    public long chunkCount() {
        return (dataBytes() + chunkSize - 1) / chunkSize;
    }
}
