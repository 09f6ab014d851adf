import brmr.device.BlockDevice;
import brmr.metadata.BitmapWrites;
import brmr.metadata.MetadataArea;
import brmr.metadata.MetadataState;
import brmr.metadata.StoreMetadata;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The cost of one durable dirty-map update (one 4096-byte bitmap block) through MetadataArea:
 * pwritev2(RWF_DSYNC) against a store into the mmap window plus msync. Run by bench/bitmap-bench.sh:
 * java --module-path ... --add-modules brmr.metadata --enable-native-access=brmr.device
 *     bench/BitmapUpdateBench.java DISK DIRECT_IO(on|off|auto) ROUNDS UPDATES_PER_ROUND
 * Rounds alternate between the two modes so that both see the same machine load.
 */
public class BitmapUpdateBench {
    /** 2^20 chunks of 4096 bytes (4 GiB): a 128 KiB slot, 32 blocks to pick from. */
    private static final long CHUNKS = 1L << 20;

    public static void main(String[] args) throws Exception {
        Path disk = Path.of(args[0]);
        BlockDevice.DirectIo directIo = BlockDevice.DirectIo.valueOf(args[1].toUpperCase());
        int rounds = Integer.parseInt(args[2]);
        int updates = Integer.parseInt(args[3]);
        Map<BitmapWrites, long[]> nanos = new EnumMap<>(BitmapWrites.class);
        try (BlockDevice device = BlockDevice.open(disk, BlockDevice.Access.EXCLUSIVE, directIo)) {
            StoreMetadata m = prepared(device);
            int slot = m.slotOf(1);
            Random random = new Random(42);
            long[] words = new long[(int) (CHUNKS / 64)];
            for (BitmapWrites mode : BitmapWrites.values()) {
                nanos.put(mode, new long[rounds * updates]);
            }
            for (int round = -1; round < rounds; round++) {
                for (BitmapWrites mode : BitmapWrites.values()) {
                    try (MetadataArea area = new MetadataArea(device, mode)) {
                        area.readBitmap(m, slot);
                        for (int i = 0; i < updates; i++) {
                            long chunk = random.nextLong(CHUNKS);
                            words[(int) (chunk / 64)] ^= 1L << chunk;
                            long start = System.nanoTime();
                            area.writeBitmap(m, slot, words, chunk, chunk + 1);
                            long took = System.nanoTime() - start;
                            if (round >= 0) {
                                nanos.get(mode)[round * updates + i] = took;
                            }
                        }
                    }
                }
            }
        }
        System.out.printf("%-6s %9s %9s %9s %9s %10s%n", "mode", "median", "mean", "p90", "p99", "updates/s");
        for (Map.Entry<BitmapWrites, long[]> entry : nanos.entrySet()) {
            long[] sorted = entry.getValue().clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(sorted).average().orElse(0) / 1000;
            System.out.printf("%-6s %7.1fus %7.1fus %7.1fus %7.1fus %10.0f%n", entry.getKey().label(),
                    sorted[sorted.length / 2] / 1000.0, mean, sorted[sorted.length * 9 / 10] / 1000.0,
                    sorted[sorted.length * 99 / 100] / 1000.0, 1e6 / mean);
        }
    }

    /** The store's metadata, created with a slot for member 1 when the disk has none. */
    private static StoreMetadata prepared(BlockDevice device) throws Exception {
        MetadataArea area = new MetadataArea(device);
        if (area.read() instanceof MetadataState.Present present) {
            return present.newest();
        }
        StoreMetadata fresh = StoreMetadata.create("bench", 1, CHUNKS * 8, 4096, device.sectorSize(),
                UUID.randomUUID(), System.currentTimeMillis());
        return area.update(area.create(fresh).withSlotFor(1));
    }
}
