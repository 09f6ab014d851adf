package brmr.admin.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.admin.events.StateDiff;
import brmr.admin.events.StateEvent;
import brmr.admin.events.StateSnapshot;
import brmr.admin.metrics.StorageMetrics;
import brmr.device.BlockDevice;
import brmr.rmr.server.RequestException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What events and metrics report of a storage node's pool and store, before and after the store fails. */
class StorageStatesTest {
    @TempDir
    Path dir;

    private final StorageNode node = new StorageNode(BlockDevice.DirectIo.OFF, pool -> List.of());

    @AfterEach
    void close() {
        node.close();
    }

    private static List<String> lines(List<StateEvent> events) {
        return events.stream().map(StateEvent::text).toList();
    }

    @Test
    void aStoreThatFailsShowsAsAChangeOfPoolAndStoreAndInTheMetrics() throws Exception {
        Path disk = StorageNodeTest.mappedStore(node, dir);
        StorageStates states = new StorageStates(node);
        StateSnapshot before = states.get();
        assertEquals(List.of(
                "exists pool name:p1 state:registered member:2",
                "exists store pool:p1 state:open,mapped",
                "exists member pool:p1 member:2 dirty:0 chunks:80",
                "exists sync pool:p1 state:idle percent:100",
                "exists -"), lines(StateDiff.exists(before, Instant.EPOCH)));

        try (RandomAccessFile raf = new RandomAccessFile(disk.toFile(), "rw")) {
            raf.setLength(1L << 20);
        }
        assertThrows(RequestException.class, () -> node.pools().get("p1").chunkChecksum(0));
        assertEquals(List.of("change pool name:p1 state:no_io", "change store pool:p1 state:open,mapped,failed"),
                lines(StateDiff.between(before, states.get(), Instant.EPOCH)));

        String metrics = new StorageMetrics(node.pools(), node.syncPools(), node.stores()).get();
        for (String sample : List.of("brmr_server_pool_state{pool=\"p1\",state=\"no_io\"} 1",
                "brmr_server_pool_state{pool=\"p1\",state=\"registered\"} 0",
                "brmr_server_store_state{pool=\"p1\",state=\"failed\"} 1",
                "brmr_server_store_state{pool=\"p1\",state=\"mapped\"} 1",
                "brmr_server_pool_member_id{pool=\"p1\"} 2")) {
            assertTrue(metrics.lines().anyMatch(sample::equals), () -> sample + " missing in:\n" + metrics);
        }
    }
}
