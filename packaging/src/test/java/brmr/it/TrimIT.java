package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NBD trim on a two-leg pool: advertised, replicated, punched out of each leg's disk and read back as
 * zeroes; a leg that misses a trim gets its chunks marked dirty and is synced to the trimmed state.
 */
class TrimIT {
    private static final long MAPPED_SIZE = 204800;
    private static final int CHUNK = 131072;

    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        Qemu.requireTools("qemu-io", "nbdinfo");
    }

    @Test
    void aTrimIsAdvertisedAndPunchesTheSameZeroesIntoBothLegs() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK)) {
            String uri = pool.nbdUri();
            CommandResult canTrim = Commands.run(List.of("nbdinfo", "--can", "trim", uri));
            assertEquals(0, canTrim.exit(), canTrim::toString);
            Qemu.io(uri, "write -P 0x55 0 4M", "flush");
            long[] before = allocatedBlocks(pool);
            Qemu.io(uri, "write -P 0x55 0 4M", "discard 1M 2M", "read -P 0 1M 2M", "read -P 0x55 0 1M",
                    "read -P 0x55 3M 1M");
            long[] after = allocatedBlocks(pool);
            for (int leg = 0; leg < 2; leg++) {
                assertTrue(before[leg] - after[leg] >= (2 << 20) / 512, "leg " + (leg + 1) + " freed the trimmed "
                        + "range: 512-byte blocks before " + before[leg] + ", after " + after[leg]);
            }
            Recovery.legsIdentical(pool);
        }
    }

    @Test
    void aTrimThatALegMissesIsSyncedToItAsZeroes() throws Exception {
        try (LocalPool pool = LocalPool.start(dir, "p1", 2, MAPPED_SIZE, CHUNK, true)) {
            String uri = pool.nbdUri();
            Qemu.io(uri, "write -P 0x66 0 8M");
            pool.node(2).daemon.kill();
            Recovery.awaitSession(pool, 2, Recovery.OUT_OF_SERVICE, Duration.ofSeconds(30));
            Qemu.io(uri, "discard 4M 1M", "read -P 0 4M 1M");
            TreeSet<Long> missed = MapSummaryText.parse(pool.read(1, "map_summary")).get(2);
            assertEquals(new TreeSet<>(LongStream.rangeClosed(32, 39).boxed().toList()), missed,
                    "node 1 recorded that member 2 missed the trimmed chunks 32..39");

            pool.restartAndReadd(2);
            pool.joinSync(pool.node(2));
            Recovery.awaitSession(pool, 2, Set.of("normal"), Duration.ofSeconds(30));
            Recovery.syncToTheEnd(pool, 2);
            Recovery.legsIdentical(pool);
            Qemu.io(uri, "read -P 0 4M 1M", "read -P 0x66 0 4M", "read -P 0x66 5M 3M");
        }
    }

    /** Each leg's backing file's allocated 512-byte blocks (stat(1): the JDK does not expose st_blocks). */
    private static long[] allocatedBlocks(LocalPool pool) throws IOException {
        long[] blocks = new long[pool.nodes.size()];
        for (int i = 0; i < blocks.length; i++) {
            CommandResult stat = Commands.run(List.of("stat", "--format=%b",
                    pool.nodes.get(i).disk.backingFile().toString()));
            assertEquals(0, stat.exit(), stat::toString);
            blocks[i] = Long.parseLong(stat.out().strip());
        }
        return blocks;
    }
}
