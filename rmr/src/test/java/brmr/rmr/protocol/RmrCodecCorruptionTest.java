package brmr.rmr.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import brmr.rmr.protocol.Message.ChunksClean;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Flush;
import brmr.rmr.protocol.Message.Hello;
import brmr.rmr.protocol.Message.JoinMode;
import brmr.rmr.protocol.Message.Leave;
import brmr.rmr.protocol.Message.LeaveMode;
import brmr.rmr.protocol.Message.Maps;
import brmr.rmr.protocol.Message.MemberMap;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.Message.Params;
import brmr.rmr.protocol.Message.Role;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.Message.Write;
import brmr.rmr.protocol.Message.Writer;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every way the bytes of a frame can be wrong ends in a ProtocolException, never in anything else. */
class RmrCodecCorruptionTest {
    private static final int PAYLOAD = RmrCodec.HEADER_BYTES;
    private static final int SMALL_FRAME_BYTES = 1024;

    @Test
    void wrongMagic() {
        byte[] frame = frame(new Ok());
        frame[0] = 'X';
        assertRefused(frame, "bad magic 0x584d5231, not an RMR frame");
    }

    @Test
    void otherProtocolVersions() {
        for (int version : new int[] {0, 2, RmrCodec.VERSION - 1, RmrCodec.VERSION + 1, 255}) {
            assertEquals("protocol version " + version + ", this node speaks " + RmrCodec.VERSION,
                    refusal(FrameBytes.withVersion(frame(new Flush()), version)).getMessage());
        }
    }

    @Test
    void everyRecordHasItsOwnTypeCodeAndEveryOtherCodeIsUnknown() {
        Set<Integer> known = new TreeSet<>();
        for (Message message : RmrCodecTest.samples()) {
            known.add(Byte.toUnsignedInt(frame(message)[RmrCodec.TYPE_OFFSET]));
        }
        assertEquals(Message.class.getPermittedSubclasses().length, known.size());
        for (int code = 0; code < 256; code++) {
            if (!known.contains(code)) {
                byte[] frame = frame(new Ok());
                frame[RmrCodec.TYPE_OFFSET] = (byte) code;
                assertRefused(frame, String.format("unknown message type 0x%02x", code));
            }
        }
    }

    @Test
    void nonZeroFlags() {
        byte[] frame = frame(new Ok());
        frame[RmrCodec.FLAGS_OFFSET + 1] = 1;
        assertRefused(frame, "unknown frame flags 0x0001 on Ok");
    }

    @Test
    void lengthOverTheLimitIsRefusedWithoutReadingThePayload() throws Exception {
        for (long length : new long[] {RmrCodec.MAX_PAYLOAD + 1L, 0x80000000L, 0xffffffffL}) {
            byte[] frame = Arrays.copyOf(frame(new Data(MemorySegment.ofArray(new byte[4]))), 64);
            ByteBuffer.wrap(frame).putInt(RmrCodec.LENGTH_OFFSET, (int) length);
            ByteArrayInputStream in = new ByteArrayInputStream(frame);
            ProtocolException refusal = assertThrows(ProtocolException.class, () -> RmrCodec.read(in));
            assertEquals("Data payload of " + length + " bytes exceeds the limit of " + RmrCodec.MAX_PAYLOAD,
                    refusal.getMessage());
            assertEquals(64 - RmrCodec.HEADER_BYTES, in.available());
        }
    }

    @Test
    void truncatedHeader() {
        byte[] frame = frame(new Ok());
        assertThrows(EOFException.class, () -> RmrCodec.read(new ByteArrayInputStream(new byte[0])));
        for (int length = 1; length < RmrCodec.HEADER_BYTES; length++) {
            assertRefused(Arrays.copyOf(frame, length),
                    "connection ended inside a frame header, after " + length + " of 20 bytes");
        }
    }

    @Test
    void truncatedPayload() {
        for (Message message : RmrCodecTest.samples()) {
            byte[] frame = frame(message);
            int step = Math.max(1, (frame.length - PAYLOAD) / 50);
            for (int cut = PAYLOAD; cut < frame.length; cut += step) {
                assertRefused(Arrays.copyOf(frame, cut), "connection ended inside a "
                        + message.getClass().getSimpleName() + " payload of " + (frame.length - PAYLOAD) + " bytes");
            }
        }
    }

    @Test
    void trailingBytesInsideAPayload() {
        for (Message message : smallSamples()) {
            byte[] frame = Arrays.copyOf(frame(message), frame(message).length + 1);
            ByteBuffer.wrap(frame).putInt(RmrCodec.LENGTH_OFFSET, frame.length - PAYLOAD);
            assertRefused(frame, "1 trailing bytes in a " + message.getClass().getSimpleName() + " payload");
        }
    }

    @Test
    void payloadShorterThanItsFields() {
        for (Message message : smallSamples()) {
            byte[] frame = frame(message);
            if (frame.length > PAYLOAD) {
                byte[] shorter = Arrays.copyOf(frame, frame.length - 1);
                ByteBuffer.wrap(shorter).putInt(RmrCodec.LENGTH_OFFSET, shorter.length - PAYLOAD);
                String reason = refusal(shorter).getMessage();
                assertTrue(reason.startsWith(message.getClass().getSimpleName() + " payload too short: "), reason);
            }
        }
    }

    @Test
    void enumOrdinalsOutOfRange() {
        byte[] leave = frame(new Leave(LeaveMode.DELETE));
        leave[PAYLOAD] = 2;
        assertRefused(leave, "Leave mode 2 is out of range 0..1");
        byte[] failure = frame(new Failure(Status.INVALID, "x"));
        failure[PAYLOAD] = (byte) Status.values().length;
        assertRefused(failure, "Failure status 7 is out of range 0..6");
        byte[] role = frame(new Hello(1, Role.SYNC, "", "", JoinMode.CREATE, 4096, 1));
        role[PAYLOAD + 4] = (byte) 0xff;
        assertRefused(role, "Hello role 255 is out of range 0..1");
        byte[] mode = frame(new Hello(1, Role.SYNC, "", "", JoinMode.CREATE, 4096, 1));
        mode[PAYLOAD + 4 + 1 + 2 + 2] = 2;
        assertRefused(mode, "Hello mode 2 is out of range 0..1");
        byte[] writer = frame(new Hello(1, Role.COMPUTE, "", "", JoinMode.CREATE, 4096, -1,
                new Writer(new UUID(1, 2), 3, true)));
        writer[writer.length - 1] = 2;
        assertRefused(writer, "Hello writer force is 2, not 0 or 1");
    }

    @Test
    void mapsWordCountMustMatchTheChunkCount() {
        byte[] frame = frame(new Maps(130, List.of(new MemberMap(1, new long[3]))));
        ByteBuffer.wrap(frame).putLong(PAYLOAD, 200);
        assertRefused(frame, "Maps: the map of member 1 has 3 words, 200 chunks need 4");
        ByteBuffer.wrap(frame).putLong(PAYLOAD, 128);
        assertRefused(frame, "Maps: the map of member 1 has 3 words, 128 chunks need 2");
        ByteBuffer.wrap(frame).putLong(PAYLOAD, -1);
        assertRefused(frame, "Maps chunk count -1 is negative");
        byte[] empty = frame(new Maps(0, List.of()));
        ByteBuffer.wrap(empty).putShort(PAYLOAD + 8, (short) 257);
        assertRefused(empty, "Maps holds 257 member maps, at most 256");
    }

    @Test
    void sizesBeyondThePayload() {
        byte[] data = frame(new Data(MemorySegment.ofArray(new byte[4])));
        ByteBuffer.wrap(data).putInt(PAYLOAD, -1);
        assertRefused(data, "Data payload too short: data needs 4294967295 bytes, 4 left");
        byte[] chunks = frame(new ChunksClean(1, new long[] {5}));
        ByteBuffer.wrap(chunks).putInt(PAYLOAD + 4, Integer.MIN_VALUE);
        assertRefused(chunks, "ChunksClean payload too short: chunks needs 17179869184 bytes, 8 left");
        byte[] members = frame(new Write(0, List.of(1), MemorySegment.ofArray(new byte[0])));
        ByteBuffer.wrap(members).putShort(PAYLOAD + 8, (short) -1);
        assertRefused(members, "Write payload too short: missingMembers needs 262140 bytes, 8 left");
        byte[] name = frame(new Hello(1, Role.SYNC, "p", "", JoinMode.CREATE, 4096, 1));
        ByteBuffer.wrap(name).putShort(PAYLOAD + 5, (short) 65);
        assertRefused(name, "Hello pool is 65 bytes, at most 64");
        byte[] session = frame(new Hello(1, Role.COMPUTE, "p", "psrv0@stg-rmr0", JoinMode.CREATE, 4096, -1));
        ByteBuffer.wrap(session).putShort(PAYLOAD + 8, (short) 256);
        assertRefused(session, "Hello session is 256 bytes, at most 255");
        byte[] message = frame(new Failure(Status.IO_ERROR, "x"));
        ByteBuffer.wrap(message).putShort(PAYLOAD + 1, (short) 4097);
        assertRefused(message, "Failure message is 4097 bytes, at most 4096");
    }

    @Test
    void presenceAndBooleanFlagsAreZeroOrOne() {
        byte[] absent = frame(new Params(null));
        absent[PAYLOAD] = 2;
        assertRefused(absent, "Params store presence is 2, not 0 or 1");
        byte[] store = frame(new Params(RmrCodecTest.STORE));
        int mapped = PAYLOAD + 1 + 2 + RmrCodec.MAX_NAME_BYTES + 4 + 8 + 4 + 4;
        assertEquals(1, store[mapped]);
        store[mapped] = 7;
        assertRefused(store, "Params store mapped is 7, not 0 or 1");
    }

    @Test
    void malformedUtf8() {
        for (byte[] bad : new byte[][] {{(byte) 0xc3, 0x28}, {(byte) 0x80, 'a'}, {(byte) 0xc0, (byte) 0x80},
                {(byte) 0xed, (byte) 0xa0}}) {
            byte[] frame = frame(new Failure(Status.IO_ERROR, "ab"));
            frame[PAYLOAD + 3] = bad[0];
            frame[PAYLOAD + 4] = bad[1];
            assertRefused(frame, "Failure message is not valid UTF-8");
        }
    }

    @Test
    void randomBytesOnlyEverFailAsProtocolErrors() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        byte[] header = frame(new Ok());
        for (int i = 0; i < 30_000; i++) {
            byte[] payload = RmrCodecTest.randomBytes(random, random.nextInt(96));
            byte[] bytes;
            if (i % 3 == 0) {
                bytes = payload;
            } else {
                bytes = Arrays.copyOf(header, PAYLOAD + payload.length);
                System.arraycopy(payload, 0, bytes, PAYLOAD, payload.length);
                bytes[RmrCodec.TYPE_OFFSET] = (byte) (random.nextBoolean() ? random.nextInt(0x10) : 0x80
                        + random.nextInt(0x08));
                int declared = i % 3 == 1 ? payload.length : random.nextInt(payload.length + 8);
                ByteBuffer.wrap(bytes).putInt(RmrCodec.LENGTH_OFFSET, declared);
            }
            assertOnlyProtocolErrors(bytes, "seed " + seed);
        }
    }

    @Test
    void singleByteMutationsOfValidFramesOnlyEverFailAsProtocolErrors() {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int decoded = 0;
        int refused = 0;
        for (Message message : smallSamples()) {
            byte[] frame = frame(message);
            for (int position = 0; position < frame.length; position++) {
                byte original = frame[position];
                for (int value : new int[] {0, 0xff, original ^ 1, original ^ 0x80, random.nextInt(256)}) {
                    byte[] mutated = frame.clone();
                    mutated[position] = (byte) value;
                    if (assertOnlyProtocolErrors(mutated, "seed " + seed + ", " + message + " byte " + position)) {
                        decoded++;
                    } else {
                        refused++;
                    }
                }
            }
        }
        assertTrue(decoded > 1000 && refused > 1000, decoded + " decoded, " + refused + " refused");
    }

    /** True when every frame decoded, false on a ProtocolException; anything else fails the test. */
    private static boolean assertOnlyProtocolErrors(byte[] bytes, String context) {
        try {
            RmrCodecTest.readAll(bytes);
            return true;
        } catch (ProtocolException e) {
            return false;
        } catch (Throwable e) {
            return fail(context + ": " + RmrCodecTest.describe(bytes) + " threw " + e, e);
        }
    }

    private static List<Message> smallSamples() {
        return RmrCodecTest.samples().stream().filter(m -> frame(m).length <= SMALL_FRAME_BYTES).toList();
    }

    private static byte[] frame(Message message) {
        return FrameBytes.encode(5, message);
    }

    private static ProtocolException refusal(byte[] frame) {
        return assertThrows(ProtocolException.class, () -> RmrCodecTest.readAll(frame), RmrCodecTest.describe(frame));
    }

    private static void assertRefused(byte[] frame, String reason) {
        assertEquals(reason, refusal(frame).getMessage());
    }
}
