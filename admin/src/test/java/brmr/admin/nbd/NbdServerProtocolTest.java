package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Protocol behaviour seen through a raw socket client. */
class NbdServerProtocolTest {
    private static final int SIZE = 1 << 20;
    private static final int DATA_FLAGS = NbdCodec.TX_HAS_FLAGS | NbdCodec.TX_SEND_FLUSH | NbdCodec.TX_SEND_FUA;

    private NbdServer server;
    private final List<RawNbdClient> clients = new ArrayList<>();
    /** Holds intercepted requests; released at the latest when the test ends so nothing stays blocked. */
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws IOException {
        release.countDown();
        for (RawNbdClient client : clients) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private InetSocketAddress serve(ExportLookup lookup) throws IOException {
        server = new NbdServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), lookup);
        server.start();
        return server.address();
    }

    private InetSocketAddress serve(NbdExport... exports) throws IOException {
        return serve(() -> List.of(exports));
    }

    private RawNbdClient connect(InetSocketAddress address) throws IOException {
        RawNbdClient client = new RawNbdClient(address);
        clients.add(client);
        return client;
    }

    private RawNbdClient connect(InetSocketAddress address, int clientFlags) throws IOException {
        RawNbdClient client = new RawNbdClient(address, clientFlags);
        clients.add(client);
        return client;
    }

    private RawNbdClient transmitting(NbdExport export) throws IOException {
        RawNbdClient client = connect(serve(export));
        client.go(export.name());
        return client;
    }

    private static NbdRequest read(long cookie, long offset, long length) {
        return new NbdRequest(0, NbdCodec.CMD_READ, cookie, offset, length);
    }

    private static NbdRequest write(long cookie, long offset, long length) {
        return new NbdRequest(0, NbdCodec.CMD_WRITE, cookie, offset, length);
    }

    private static NbdRequest command(int type, long cookie, long offset, long length) {
        return new NbdRequest(0, type, cookie, offset, length);
    }

    private static byte[] pattern(int length, int value) {
        byte[] data = new byte[length];
        Arrays.fill(data, (byte) value);
        return data;
    }

    private static void assertReply(RawNbdClient client, long cookie, int error) throws IOException {
        assertEquals(new NbdCodec.SimpleReply(error, cookie), client.readReply());
    }

    private static List<NbdInfo> infos(List<NbdCodec.OptionReply> replies) {
        return replies.stream().filter(r -> r.type() == NbdCodec.REP_INFO).map(r -> NbdCodec.decodeInfo(r.data()))
                .toList();
    }

    /** Checks the connection still serves requests by reading one block. */
    private static void assertStillServing(RawNbdClient client, long cookie) throws IOException {
        client.send(read(cookie, 0, 512));
        assertReply(client, cookie, 0);
        client.readData(512);
    }

    @Test
    void handshakeOffersFixedNewstyleAndNoZeroes() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        assertEquals(NbdCodec.FLAG_FIXED_NEWSTYLE | NbdCodec.FLAG_NO_ZEROES, client.handshakeFlags());
    }

    @Test
    void requestsSentRightBehindGoAreServedFromWhatNegotiationReadAhead() throws IOException {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient client = connect(serve(export));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        NbdCodec.writeOption(out, new NbdOption(NbdCodec.OPT_GO, NbdCodec.encodeExportQuery(
                new NbdExportQuery("vol", List.of(NbdCodec.INFO_BLOCK_SIZE)))));
        NbdCodec.writeRequest(out, write(1, 4096, 4096));
        out.write(pattern(4096, 0x3c));
        NbdCodec.writeRequest(out, command(NbdCodec.CMD_FLUSH, 2, 0, 0));
        // one send: the negotiation's buffered stream reads the requests ahead together with the option
        client.sendRaw(bytes.toByteArray());
        NbdCodec.OptionReply reply;
        do {
            reply = client.readOptionReply();
        } while (reply.type() == NbdCodec.REP_INFO);
        assertEquals(NbdCodec.REP_ACK, reply.type());
        assertReply(client, 1, 0);
        assertReply(client, 2, 0);
        assertArrayEquals(pattern(4096, 0x3c), export.contents(4096, 4096));
        assertStillServing(client, 3);
    }

    @Test
    void goReportsBlockSizesNameAndExportFlagsThenAcknowledges() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        List<NbdCodec.OptionReply> replies = client.query(NbdCodec.OPT_GO, "vol",
                List.of(NbdCodec.INFO_BLOCK_SIZE, NbdCodec.INFO_NAME));
        assertEquals(NbdCodec.REP_ACK, replies.getLast().type());
        List<NbdInfo> infos = infos(replies);
        assertTrue(infos.contains(new NbdInfo.BlockSize(512, 4096, 32 << 20)), infos.toString());
        assertTrue(infos.contains(new NbdInfo.Name("vol")), infos.toString());
        int flags = DATA_FLAGS | NbdCodec.TX_SEND_TRIM | NbdCodec.TX_SEND_WRITE_ZEROES;
        assertTrue(infos.contains(new NbdInfo.Export(SIZE, flags)), infos.toString());
        assertStillServing(client, 1);
    }

    @Test
    void exportWithoutTrimOrZeroesDoesNotAdvertiseThemAndRejectsThem() throws IOException {
        ByteArrayExport export = new ByteArrayExport("plain", SIZE, 512, false, false, false);
        RawNbdClient client = connect(serve(export));
        assertEquals(new NbdInfo.Export(SIZE, DATA_FLAGS), client.go("plain"));
        client.send(command(NbdCodec.CMD_TRIM, 1, 0, 4096));
        assertReply(client, 1, NbdCodec.EINVAL);
        client.send(command(NbdCodec.CMD_WRITE_ZEROES, 2, 0, 4096));
        assertReply(client, 2, NbdCodec.EINVAL);
        assertEquals(List.of(), export.trims());
    }

    @Test
    void readOnlyExportRefusesWritesWithEpermAndKeepsServing() throws IOException {
        ByteArrayExport export = new ByteArrayExport("ro", SIZE, 512, true, true, true);
        RawNbdClient client = connect(serve(export));
        assertEquals(new NbdInfo.Export(SIZE, DATA_FLAGS | NbdCodec.TX_READ_ONLY), client.go("ro"));
        client.send(write(1, 0, 512), pattern(512, 0x5a));
        assertReply(client, 1, NbdCodec.EPERM);
        client.send(command(NbdCodec.CMD_TRIM, 2, 0, 512));
        assertReply(client, 2, NbdCodec.EPERM);
        client.send(command(NbdCodec.CMD_WRITE_ZEROES, 3, 0, 512));
        assertReply(client, 3, NbdCodec.EPERM);
        assertStillServing(client, 4);
        assertEquals(0, export.completedWrites());
    }

    @Test
    void unsupportedOptionsAreRefusedAndNegotiationGoesOn() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        for (int option : new int[] {NbdCodec.OPT_STRUCTURED_REPLY, 5, 0x1234}) {
            client.sendOption(option, new byte[0]);
            NbdCodec.OptionReply reply = client.readOptionReply();
            assertEquals(option, reply.option());
            assertEquals(NbdCodec.REP_ERR_UNSUP, reply.type());
        }
        client.go("vol");
        assertStillServing(client, 1);
    }

    @Test
    void abortIsAcknowledgedAndTheConnectionClosed() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        client.sendOption(NbdCodec.OPT_ABORT, new byte[0]);
        assertEquals(NbdCodec.REP_ACK, client.readOptionReply().type());
        assertTrue(client.closedByServer());
    }

    @Test
    void infoAnswersWithoutEnteringTransmission() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        List<NbdCodec.OptionReply> replies = client.query(NbdCodec.OPT_INFO, "vol", List.of());
        assertEquals(NbdCodec.REP_ACK, replies.getLast().type());
        assertTrue(infos(replies).contains(new NbdInfo.Export(SIZE,
                DATA_FLAGS | NbdCodec.TX_SEND_TRIM | NbdCodec.TX_SEND_WRITE_ZEROES)));
        client.go("vol");
        assertStillServing(client, 1);
    }

    @Test
    void unknownExportIsAnErrorReplyAndMalformedQueryIsInvalid() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        List<NbdCodec.OptionReply> unknown = client.query(NbdCodec.OPT_GO, "nope", List.of());
        assertEquals(List.of(NbdCodec.REP_ERR_UNKNOWN), unknown.stream().map(NbdCodec.OptionReply::type).toList());
        client.sendOption(NbdCodec.OPT_GO, new byte[] {0, 0, 0, 9, 'x'});
        assertEquals(NbdCodec.REP_ERR_INVALID, client.readOptionReply().type());
        client.go("vol");
        assertStillServing(client, 1);
    }

    @Test
    void listNamesEveryExportAndItsAliases() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("a", SIZE).aliases("p1"), new ByteArrayExport("b", SIZE)));
        client.sendOption(NbdCodec.OPT_LIST, new byte[0]);
        List<String> names = new ArrayList<>();
        NbdCodec.OptionReply reply;
        while ((reply = client.readOptionReply()).type() == NbdCodec.REP_SERVER) {
            names.add(NbdCodec.decodeServerEntry(reply.data()));
        }
        assertEquals(NbdCodec.REP_ACK, reply.type());
        assertEquals(List.of("a", "p1", "b"), names);
        client.sendOption(NbdCodec.OPT_LIST, new byte[] {1});
        assertEquals(NbdCodec.REP_ERR_INVALID, client.readOptionReply().type());
    }

    @Test
    void exportNameOptionEntersTransmissionWithOrWithoutPadding() throws IOException {
        InetSocketAddress address = serve(new ByteArrayExport("vol", SIZE));
        int flags = DATA_FLAGS | NbdCodec.TX_SEND_TRIM | NbdCodec.TX_SEND_WRITE_ZEROES;
        for (boolean noZeroes : new boolean[] {true, false}) {
            RawNbdClient client = connect(address,
                    NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE | (noZeroes ? NbdCodec.CLIENT_FLAG_NO_ZEROES : 0));
            client.sendOption(NbdCodec.OPT_EXPORT_NAME, "vol".getBytes(StandardCharsets.UTF_8));
            assertEquals(new NbdInfo.Export(SIZE, flags), NbdCodec.readExportNameReply(client.input(), noZeroes));
            assertStillServing(client, 1);
        }
    }

    @Test
    void exportNameOptionForAnUnknownExportClosesTheConnection() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)));
        client.sendOption(NbdCodec.OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
        assertTrue(client.closedByServer());
    }

    @Test
    void unknownClientFlagsCloseTheConnection() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("vol", SIZE)), 0x80);
        assertTrue(client.closedByServer());
    }

    @Test
    void largeMinimumBlockSizeMustBeAskedForBeforeGo() throws IOException {
        RawNbdClient client = connect(serve(new ByteArrayExport("big", SIZE, 4096, false, true, true)));
        List<NbdCodec.OptionReply> refused = client.query(NbdCodec.OPT_GO, "big", List.of());
        assertEquals(NbdCodec.REP_ERR_BLOCK_SIZE_REQD, refused.getLast().type());
        assertEquals(List.of(new NbdInfo.BlockSize(4096, 4096, 32 << 20)), infos(refused));
        client.go("big");
        client.send(read(1, 512, 512));
        assertReply(client, 1, NbdCodec.EINVAL);
        client.send(read(2, 4096, 4096));
        assertReply(client, 2, 0);
        client.readData(4096);
    }

    @Test
    void badRequestMagicClosesTheConnection() throws IOException {
        RawNbdClient client = transmitting(new ByteArrayExport("vol", SIZE));
        client.sendRaw(new byte[28]);
        assertTrue(client.closedByServer());
    }

    @Test
    void readBeyondTheEndIsInvalidAndTheConnectionStays() throws IOException {
        RawNbdClient client = transmitting(new ByteArrayExport("vol", SIZE));
        client.send(read(1, SIZE - 512, 1024));
        assertReply(client, 1, NbdCodec.EINVAL);
        client.send(read(2, -512, 512));
        assertReply(client, 2, NbdCodec.EINVAL);
        assertStillServing(client, 3);
    }

    @Test
    void writeBeyondTheEndIsOutOfSpaceAndItsDataIsConsumed() throws IOException {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient client = transmitting(export);
        client.send(write(1, SIZE, 512), pattern(512, 1));
        assertReply(client, 1, NbdCodec.ENOSPC);
        client.send(command(NbdCodec.CMD_WRITE_ZEROES, 2, SIZE - 512, 1024));
        assertReply(client, 2, NbdCodec.ENOSPC);
        assertStillServing(client, 3);
        assertEquals(0, export.completedWrites());
    }

    @Test
    void misalignedRequestsAreInvalidButTheUnalignedTailCanBeRead() throws IOException {
        ByteArrayExport export = new ByteArrayExport("odd", 1000);
        export.fill(512, 488, (byte) 0x33);
        RawNbdClient client = transmitting(export);
        client.send(read(1, 100, 512));
        assertReply(client, 1, NbdCodec.EINVAL);
        client.send(write(2, 0, 100), pattern(100, 1));
        assertReply(client, 2, NbdCodec.EINVAL);
        client.send(read(3, 512, 488));
        assertReply(client, 3, 0);
        assertArrayEquals(pattern(488, 0x33), client.readData(488));
    }

    @Test
    void unknownCommandsAndFlagsAreInvalid() throws IOException {
        RawNbdClient client = transmitting(new ByteArrayExport("vol", SIZE));
        client.send(command(42, 1, 0, 512));
        assertReply(client, 1, NbdCodec.EINVAL);
        client.send(new NbdRequest(1 << 4, NbdCodec.CMD_READ, 2, 0, 512));
        assertReply(client, 2, NbdCodec.EINVAL);
        assertStillServing(client, 3);
    }

    @Test
    void oversizedReadIsInvalidAndOversizedWriteClosesTheConnection() throws IOException {
        RawNbdClient client = transmitting(new ByteArrayExport("vol", SIZE));
        client.send(read(1, 0, 0xffff_fe00L));
        assertReply(client, 1, NbdCodec.EINVAL);
        client.send(write(2, 0, (32 << 20) + 512));
        assertTrue(client.closedByServer());
    }

    @Test
    void writesReadsTrimsAndZeroesReachTheExport() throws IOException {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient client = transmitting(export);
        client.send(new NbdRequest(NbdCodec.CMD_FLAG_FUA, NbdCodec.CMD_WRITE, 1, 4096, 1024), pattern(1024, 0x77));
        assertReply(client, 1, 0);
        client.send(read(2, 4096, 1024));
        assertReply(client, 2, 0);
        assertArrayEquals(pattern(1024, 0x77), client.readData(1024));
        client.send(command(NbdCodec.CMD_TRIM, 3, 0, 8192));
        assertReply(client, 3, 0);
        client.send(new NbdRequest(NbdCodec.CMD_FLAG_NO_HOLE, NbdCodec.CMD_WRITE_ZEROES, 4, 4096, 512));
        assertReply(client, 4, 0);
        client.send(command(NbdCodec.CMD_FLUSH, 5, 0, 0));
        assertReply(client, 5, 0);
        assertEquals(1, export.fuaWrites());
        assertEquals(List.of(new ByteArrayExport.Range(0, 8192)), export.trims());
        assertEquals(List.of(new ByteArrayExport.Range(4096, 512)), export.zeroes());
        assertArrayEquals(pattern(512, 0), export.contents(4096, 512));
        assertArrayEquals(pattern(512, 0x77), export.contents(4608, 512));
        assertEquals(List.of(1), export.completedWritesAtFlush());
    }

    @Test
    void exportFailureIsEioForThatRequestOnly() throws IOException {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        RawNbdClient client = transmitting(export);
        export.failOnce(ByteArrayExport.Operation.READ, 0);
        client.send(read(1, 0, 512));
        assertReply(client, 1, NbdCodec.EIO);
        export.failOnce(ByteArrayExport.Operation.WRITE, 512);
        client.send(write(2, 512, 512), pattern(512, 9));
        assertReply(client, 2, NbdCodec.EIO);
        export.failOnce(ByteArrayExport.Operation.FLUSH, 0);
        client.send(command(NbdCodec.CMD_FLUSH, 3, 0, 0));
        assertReply(client, 3, NbdCodec.EIO);
        assertStillServing(client, 4);
    }

    @Test
    void pipelinedRequestsRunConcurrently() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        export.intercept((operation, offset, length) -> {
            if (operation == ByteArrayExport.Operation.WRITE) {
                await(release);
            }
        });
        RawNbdClient client = transmitting(export);
        client.send(write(1, 0, 4096), pattern(4096, 0x42));
        client.send(read(2, 8192, 512));
        assertReply(client, 2, 0);
        client.readData(512);
        release.countDown();
        assertReply(client, 1, 0);
        assertArrayEquals(pattern(4096, 0x42), export.contents(0, 4096));
    }

    @Test
    void flushWaitsForWritesReceivedBeforeIt() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        export.intercept((operation, offset, length) -> {
            if (operation == ByteArrayExport.Operation.WRITE) {
                await(release);
            }
        });
        RawNbdClient client = transmitting(export);
        client.send(write(1, 0, 4096), pattern(4096, 0x42));
        client.send(command(NbdCodec.CMD_FLUSH, 2, 0, 0));
        client.send(read(3, 8192, 512));
        assertReply(client, 3, 0);
        client.readData(512);
        assertEquals(List.of(), export.completedWritesAtFlush(), "flush reached the export before the write ended");
        release.countDown();
        assertReply(client, 1, 0);
        assertReply(client, 2, 0);
        assertEquals(List.of(1), export.completedWritesAtFlush());
    }

    @Test
    void disconnectAnswersRequestsInFlightBeforeClosing() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        CountDownLatch writeStarted = new CountDownLatch(1);
        export.intercept((operation, offset, length) -> {
            if (operation == ByteArrayExport.Operation.WRITE) {
                writeStarted.countDown();
                await(release);
            }
        });
        RawNbdClient client = transmitting(export);
        client.send(write(1, 0, 4096), pattern(4096, 0x42));
        client.send(command(NbdCodec.CMD_DISC, 2, 0, 0));
        await(writeStarted);
        release.countDown();
        assertReply(client, 1, 0);
        assertTrue(client.closedByServer());
    }

    @Test
    void closingTheServerClosesItsConnections() throws IOException {
        RawNbdClient client = transmitting(new ByteArrayExport("vol", SIZE));
        assertStillServing(client, 1);
        server.close();
        assertTrue(client.closedByServer());
    }

    @Test
    void closeWaitsForRequestsInFlight() throws Exception {
        ByteArrayExport export = new ByteArrayExport("vol", SIZE);
        CountDownLatch readStarted = new CountDownLatch(1);
        AtomicBoolean readReturned = new AtomicBoolean();
        export.intercept((operation, offset, length) -> {
            if (operation == ByteArrayExport.Operation.READ && offset == 4096) {
                readStarted.countDown();
                await(release);
                readReturned.set(true);
            }
        });
        RawNbdClient client = transmitting(export);
        client.send(read(1, 4096, 512));
        await(readStarted);
        AtomicBoolean readReturnedWhenClosed = new AtomicBoolean();
        Thread closer = Thread.ofVirtual().start(() -> {
            server.close();
            readReturnedWhenClosed.set(readReturned.get());
        });
        assertTrue(client.closedByServer());
        release.countDown();
        closer.join();
        assertTrue(readReturnedWhenClosed.get(), "close returned while a request was still in the export");
    }

    @Test
    void disconnectClosesOnlyConnectionsToThatExport() throws IOException {
        InetSocketAddress address = serve(new ByteArrayExport("a", SIZE), new ByteArrayExport("b", SIZE));
        RawNbdClient onA = connect(address);
        onA.go("a");
        RawNbdClient onB = connect(address);
        onB.go("b");
        assertStillServing(onA, 1);
        assertStillServing(onB, 1);
        assertEquals(1, server.disconnect("a"));
        assertTrue(onA.closedByServer());
        assertStillServing(onB, 2);
    }

    @Test
    void exportsCanAppearAfterTheServerStarted() throws IOException {
        List<NbdExport> mapped = new CopyOnWriteArrayList<>();
        InetSocketAddress address = serve(() -> mapped);
        RawNbdClient client = connect(address);
        assertEquals(NbdCodec.REP_ERR_UNKNOWN, client.query(NbdCodec.OPT_GO, "", List.of()).getLast().type());
        mapped.add(new ByteArrayExport("late", SIZE));
        client.go("");
        assertStillServing(client, 1);
    }

    @Test
    void serverCannotStartTwiceAndIsDoneAfterClose() throws IOException {
        InetSocketAddress address = serve(new ByteArrayExport("vol", SIZE));
        assertThrows(IllegalStateException.class, server::start);
        server.close();
        server.close();
        assertThrows(IllegalStateException.class, server::start);
        assertThrows(IOException.class, () -> new Socket(address.getAddress(), address.getPort()).close());
    }

    private static void await(CountDownLatch latch) throws IOException {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new IOException("test latch not released within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
