package brmr.rmr.client;

import static brmr.rmr.client.FakeNode.CHUNK;
import static org.junit.jupiter.api.Assertions.assertEquals;

import brmr.rmr.IoOp;
import brmr.rmr.IoStats;
import brmr.rmr.protocol.Message;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each leg counts the block IO the client sent over it: writes on every leg, a read on one, failures as errors. */
class LegIoStatsTest {
    private final TwoNodes nodes = new TwoNodes();

    @AfterEach
    void close() {
        nodes.close();
    }

    @Test
    void writesAndFlushesCountOnEveryLegAndAReadOnTheLegThatServedIt() throws Exception {
        ClientPool pool = nodes.enabledPool(UUID.randomUUID());
        pool.write(0, MemorySegment.ofArray(new byte[CHUNK]));
        pool.write(CHUNK, MemorySegment.ofArray(new byte[4096]));
        pool.flush();
        pool.read(0, MemorySegment.ofArray(new byte[4096]));
        long reads = 0;
        for (Leg leg : pool.legs()) {
            IoStats stats = leg.ioStats();
            assertEquals(2, stats.operations(IoOp.WRITE), leg.name());
            assertEquals(CHUNK + 4096, stats.bytes(IoOp.WRITE), leg.name());
            assertEquals(0, stats.errors(IoOp.WRITE), leg.name());
            assertEquals(2, stats.latency(IoOp.WRITE).count(), leg.name());
            assertEquals(1, stats.operations(IoOp.FLUSH), leg.name());
            reads += stats.bytes(IoOp.READ);
        }
        assertEquals(4096, reads, "one leg served the read");
    }

    @Test
    void aWriteALegRefusesIsAnErrorOfThatLegOnly() throws Exception {
        ClientPool pool = nodes.enabledPool(UUID.randomUUID());
        nodes.node2.failWrites(Message.Status.IO_ERROR);
        nodes.node2.refuseJoins("store failed");
        try {
            pool.write(0, MemorySegment.ofArray(new byte[4096]));
        } catch (IOException e) {
            throw new AssertionError("the write landed on node 1", e);
        }
        IoStats s1 = pool.leg("s1").orElseThrow().ioStats();
        IoStats s2 = pool.leg("s2").orElseThrow().ioStats();
        assertEquals(0, s1.errors(IoOp.WRITE));
        assertEquals(4096, s1.bytes(IoOp.WRITE));
        assertEquals(1, s2.operations(IoOp.WRITE));
        assertEquals(1, s2.errors(IoOp.WRITE));
        assertEquals(0, s2.bytes(IoOp.WRITE));
    }
}
