package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NbdCodecTest {
    @FunctionalInterface
    private interface Writer {
        void write(DataOutput out) throws IOException;
    }

    private static byte[] bytes(Writer writer) throws IOException {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        writer.write(new DataOutputStream(buffer));
        return buffer.toByteArray();
    }

    private static DataInputStream input(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }

    @Test
    void greetingIsTheTwoMagicsAndTheHandshakeFlags() throws IOException {
        byte[] wire = bytes(out -> NbdCodec.writeGreeting(out, NbdCodec.FLAG_FIXED_NEWSTYLE | NbdCodec.FLAG_NO_ZEROES));
        assertEquals("NBDMAGICIHAVEOPT", new String(wire, 0, 16, StandardCharsets.US_ASCII));
        assertEquals("0003", HexFormat.of().formatHex(wire, 16, 18));
        assertEquals(3, NbdCodec.readGreeting(input(wire)));
    }

    @Test
    void greetingWithWrongMagicIsRejected() {
        byte[] wire = "NBDMAGICOLDSTYLE\0\0".getBytes(StandardCharsets.US_ASCII);
        assertThrows(NbdProtocolException.class, () -> NbdCodec.readGreeting(input(wire)));
    }

    @Test
    void clientFlagsRoundTrip() throws IOException {
        byte[] wire = bytes(out -> NbdCodec.writeClientFlags(out, NbdCodec.CLIENT_FLAG_NO_ZEROES));
        assertEquals("00000002", HexFormat.of().formatHex(wire));
        assertEquals(NbdCodec.CLIENT_FLAG_NO_ZEROES, NbdCodec.readClientFlags(input(wire)));
    }

    @Test
    void optionRoundTrips() throws IOException {
        byte[] wire = bytes(out -> NbdCodec.writeOption(out, new NbdOption(NbdCodec.OPT_GO, new byte[] {1, 2, 3})));
        assertEquals("49484156454f5054" + "00000007" + "00000003" + "010203", HexFormat.of().formatHex(wire));
        NbdOption option = NbdCodec.readOption(input(wire), 16);
        assertEquals(NbdCodec.OPT_GO, option.code());
        assertArrayEquals(new byte[] {1, 2, 3}, option.data());
    }

    @Test
    void optionLongerThanTheLimitIsRefusedBeforeReadingIt() throws IOException {
        byte[] header = bytes(out -> {
            out.writeLong(NbdCodec.IHAVEOPT);
            out.writeInt(NbdCodec.OPT_LIST);
            out.writeInt(-1);
        });
        NbdProtocolException e = assertThrows(NbdProtocolException.class,
                () -> NbdCodec.readOption(input(header), 1024));
        assertTrue(e.getMessage().contains("4294967295"), e.getMessage());
    }

    @Test
    void optionWithBadMagicIsRejected() throws IOException {
        byte[] wire = bytes(out -> {
            out.writeLong(NbdCodec.NBDMAGIC);
            out.writeInt(NbdCodec.OPT_LIST);
            out.writeInt(0);
        });
        assertThrows(NbdProtocolException.class, () -> NbdCodec.readOption(input(wire), 1024));
    }

    @Test
    void optionReplyRoundTrips() throws IOException {
        byte[] wire = bytes(out -> NbdCodec.writeOptionReply(out, NbdCodec.OPT_LIST, NbdCodec.REP_ERR_UNSUP,
                "no".getBytes(StandardCharsets.UTF_8)));
        assertEquals("0003e889045565a9" + "00000003" + "80000001" + "00000002" + "6e6f",
                HexFormat.of().formatHex(wire));
        NbdCodec.OptionReply reply = NbdCodec.readOptionReply(input(wire), 16);
        assertEquals(NbdCodec.OPT_LIST, reply.option());
        assertEquals(NbdCodec.REP_ERR_UNSUP, reply.type());
        assertTrue(reply.isError());
        assertEquals("no", new String(reply.data(), StandardCharsets.UTF_8));
    }

    @Test
    void exportQueryRoundTrips() {
        NbdExportQuery query = new NbdExportQuery("disk-ä", List.of(NbdCodec.INFO_BLOCK_SIZE, NbdCodec.INFO_NAME));
        byte[] data = NbdCodec.encodeExportQuery(query);
        assertEquals(4 + 7 + 2 + 4, data.length);
        assertEquals(Optional.of(query), NbdCodec.decodeExportQuery(data));
    }

    @Test
    void exportQueryWhoseLengthsDoNotAddUpIsMalformed() {
        byte[] valid = NbdCodec.encodeExportQuery(new NbdExportQuery("d", List.of(NbdCodec.INFO_NAME)));
        assertEquals(Optional.empty(), NbdCodec.decodeExportQuery(new byte[3]));
        assertEquals(Optional.empty(), NbdCodec.decodeExportQuery(Arrays.copyOf(valid, valid.length - 1)));
        assertEquals(Optional.empty(), NbdCodec.decodeExportQuery(Arrays.copyOf(valid, valid.length + 2)));
        assertEquals(Optional.empty(), NbdCodec.decodeExportQuery(new byte[] {0x7f, 0, 0, 0, 0, 0}));
    }

    @Test
    void exportNameIsTheBareOptionData() {
        assertEquals("vol", NbdCodec.decodeExportName("vol".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void serverEntryRoundTrips() {
        byte[] data = NbdCodec.encodeServerEntry("pool-a");
        assertEquals("00000006" + HexFormat.of().formatHex("pool-a".getBytes(StandardCharsets.UTF_8)),
                HexFormat.of().formatHex(data));
        assertEquals("pool-a", NbdCodec.decodeServerEntry(data));
    }

    @Test
    void everyInfoItemRoundTrips() {
        List<NbdInfo> items = List.of(
                new NbdInfo.Export(1L << 40, NbdCodec.TX_HAS_FLAGS | NbdCodec.TX_SEND_FLUSH),
                new NbdInfo.BlockSize(512, 4096, 32 << 20),
                new NbdInfo.Name("vol"),
                new NbdInfo.Description("a volume"));
        for (NbdInfo item : items) {
            assertEquals(item, NbdCodec.decodeInfo(NbdCodec.encodeInfo(item)));
        }
        NbdInfo.Other other = assertInstanceOf(NbdInfo.Other.class,
                NbdCodec.decodeInfo(NbdCodec.encodeInfo(new NbdInfo.Other(99, new byte[] {7}))));
        assertEquals(99, other.type());
        assertArrayEquals(new byte[] {7}, other.payload());
    }

    @Test
    void exportInfoLayoutIsTypeSizeFlags() {
        byte[] data = NbdCodec.encodeInfo(new NbdInfo.Export(0x0102030405060708L, 0x0105));
        assertEquals("0000" + "0102030405060708" + "0105", HexFormat.of().formatHex(data));
        byte[] sizes = NbdCodec.encodeInfo(new NbdInfo.BlockSize(512, 4096, 32 << 20));
        assertEquals("0003" + "00000200" + "00001000" + "02000000", HexFormat.of().formatHex(sizes));
    }

    @Test
    void truncatedExportInfoIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> NbdCodec.decodeInfo(new byte[] {0, 0, 1, 2}));
    }

    @Test
    void exportNameReplyIsPaddedUnlessNoZeroesWasAgreed() throws IOException {
        NbdInfo.Export export = new NbdInfo.Export(8 << 20, NbdCodec.TX_HAS_FLAGS);
        byte[] padded = bytes(out -> NbdCodec.writeExportNameReply(out, export, false));
        byte[] compact = bytes(out -> NbdCodec.writeExportNameReply(out, export, true));
        assertEquals(10 + 124, padded.length);
        assertEquals(10, compact.length);
        assertEquals(export, NbdCodec.readExportNameReply(input(padded), false));
        assertEquals(export, NbdCodec.readExportNameReply(input(compact), true));
    }

    @Test
    void requestRoundTripsWithAnUnsignedLength() throws IOException {
        NbdRequest request = new NbdRequest(NbdCodec.CMD_FLAG_FUA, NbdCodec.CMD_WRITE, 0x1122334455667788L,
                1L << 33, 0xfffffff0L);
        byte[] wire = bytes(out -> NbdCodec.writeRequest(out, request));
        assertEquals("25609513" + "0001" + "0001" + "1122334455667788" + "0000000200000000" + "fffffff0",
                HexFormat.of().formatHex(wire));
        NbdRequest decoded = NbdCodec.readRequest(input(wire));
        assertEquals(request, decoded);
        assertTrue(decoded.hasFlag(NbdCodec.CMD_FLAG_FUA));
    }

    @Test
    void requestWithBadMagicIsRejected() {
        byte[] wire = new byte[28];
        assertThrows(NbdProtocolException.class, () -> NbdCodec.readRequest(input(wire)));
    }

    @Test
    void simpleReplyRoundTripsWithItsData() throws IOException {
        byte[] data = {9, 8, 7, 6};
        byte[] wire = bytes(out -> NbdCodec.writeSimpleReply(out, new NbdCodec.SimpleReply(0, 42), data, 1, 2));
        assertEquals("67446698" + "00000000" + "000000000000002a" + "0807", HexFormat.of().formatHex(wire));
        DataInputStream in = input(wire);
        assertEquals(new NbdCodec.SimpleReply(0, 42), NbdCodec.readSimpleReply(in));
        assertEquals(8, in.readByte());
        assertEquals(7, in.readByte());
    }

    @Test
    void errorReplyCarriesTheErrno() throws IOException {
        byte[] wire = bytes(out -> NbdCodec.writeSimpleReply(out, new NbdCodec.SimpleReply(NbdCodec.EINVAL, 7),
                new byte[0], 0, 0));
        assertEquals(16, wire.length);
        assertEquals(new NbdCodec.SimpleReply(22, 7), NbdCodec.readSimpleReply(input(wire)));
    }

    @Test
    void simpleReplyWithBadMagicIsRejected() {
        assertThrows(NbdProtocolException.class, () -> NbdCodec.readSimpleReply(input(new byte[16])));
    }
}
