package brmr.rmr.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import brmr.rmr.adapter.StoreParams;
import brmr.rmr.protocol.Message.ActivityResolved;
import brmr.rmr.protocol.Message.AuthChallenge;
import brmr.rmr.protocol.Message.AuthProof;
import brmr.rmr.protocol.Message.AuthStart;
import brmr.rmr.protocol.Message.Checksum;
import brmr.rmr.protocol.Message.ChunkChecksum;
import brmr.rmr.protocol.Message.ChunksClean;
import brmr.rmr.protocol.Message.ClaimWriter;
import brmr.rmr.protocol.Message.Data;
import brmr.rmr.protocol.Message.Enable;
import brmr.rmr.protocol.Message.Failure;
import brmr.rmr.protocol.Message.Flush;
import brmr.rmr.protocol.Message.GetMaps;
import brmr.rmr.protocol.Message.GetRecovery;
import brmr.rmr.protocol.Message.Hello;
import brmr.rmr.protocol.Message.HelloOk;
import brmr.rmr.protocol.Message.InService;
import brmr.rmr.protocol.Message.JoinMode;
import brmr.rmr.protocol.Message.Leave;
import brmr.rmr.protocol.Message.LeaveMode;
import brmr.rmr.protocol.Message.Maintenance;
import brmr.rmr.protocol.Message.MapUpdate;
import brmr.rmr.protocol.Message.Maps;
import brmr.rmr.protocol.Message.MarkDirty;
import brmr.rmr.protocol.Message.MarkMapped;
import brmr.rmr.protocol.Message.MemberMap;
import brmr.rmr.protocol.Message.Ok;
import brmr.rmr.protocol.Message.Params;
import brmr.rmr.protocol.Message.Ping;
import brmr.rmr.protocol.Message.QueryParams;
import brmr.rmr.protocol.Message.Read;
import brmr.rmr.protocol.Message.ReadChunk;
import brmr.rmr.protocol.Message.ReadChunks;
import brmr.rmr.protocol.Message.RecoveryState;
import brmr.rmr.protocol.Message.Role;
import brmr.rmr.protocol.Message.Status;
import brmr.rmr.protocol.Message.Trim;
import brmr.rmr.protocol.Message.Unmap;
import brmr.rmr.protocol.Message.Write;
import brmr.rmr.protocol.Message.WriteZeroes;
import brmr.rmr.protocol.Message.Writer;
import java.lang.foreign.MemorySegment;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RmrCodecTest {
    /** 32 two-byte characters: exactly the 64-byte limit. */
    static final String NAME_64_BYTES = "ü".repeat(32);
    /** Upstream's session naming with three-byte characters: exactly the 255-byte limit of session names. */
    static final String SESSION_255_BYTES = "psrv0@stg-rmr0" + "€".repeat(80) + "x";
    static final StoreParams STORE = new StoreParams(NAME_64_BYTES, 3, 1L << 40, 131072, 4096, true,
            new UUID(0x0123456789abcdefL, -1L));
    static final StoreParams STORE_WITHOUT_UUID = new StoreParams("", -1, 0, 0, 512, false, null);
    private static final long[] REQUEST_IDS = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x1122334455667788L};

    /** At least one of every message type, with the edge values each field allows. */
    static List<Message> samples() {
        Random random = new Random(7);
        List<Message> samples = new ArrayList<>();
        for (Role role : Role.values()) {
            for (JoinMode mode : JoinMode.values()) {
                samples.add(new Hello(RmrCodec.VERSION, role, NAME_64_BYTES, "€".repeat(21), mode, 131072, -1));
            }
        }
        samples.add(new Hello(Integer.MIN_VALUE, Role.SYNC, "", "", JoinMode.ASSEMBLE, 0, Integer.MAX_VALUE));
        samples.add(new Hello(RmrCodec.VERSION, Role.COMPUTE, "p", "s", JoinMode.ASSEMBLE, 4096, -1,
                new Writer(new UUID(1, -1), Long.MAX_VALUE, true)));
        samples.add(new Hello(RmrCodec.VERSION, Role.COMPUTE, "p", "s", JoinMode.CREATE, 4096, -1,
                new Writer(new UUID(0, 0), 0, false)));
        samples.add(new ClaimWriter(1));
        samples.add(new GetRecovery());
        samples.add(new InService(0, List.of()));
        samples.add(new InService(Long.MAX_VALUE, List.of(42, 43)));
        samples.add(new ActivityResolved());
        samples.add(new RecoveryState(0, 0, List.of(), new long[0]));
        samples.add(new RecoveryState(Long.MAX_VALUE, -1, List.of(1, Integer.MIN_VALUE), new long[] {0, 799}));
        samples.add(new ClaimWriter(Long.MIN_VALUE));
        samples.add(new Hello(RmrCodec.VERSION, Role.COMPUTE, "ionos_pool", SESSION_255_BYTES, JoinMode.CREATE, 131072,
                -1));
        samples.add(new Enable());
        samples.add(new Maintenance());
        for (LeaveMode mode : LeaveMode.values()) {
            samples.add(new Leave(mode));
        }
        samples.add(new QueryParams());
        samples.add(new MarkMapped(new UUID(Long.MIN_VALUE, -1)));
        samples.add(new GetMaps());
        samples.add(new MapUpdate(new Maps(130, List.of(new MemberMap(1, new long[] {-1, 0, 3}),
                new MemberMap(Integer.MIN_VALUE, new long[3])))));
        samples.add(new MapUpdate(new Maps(0, List.of())));
        samples.add(new Read(0, 0));
        samples.add(new Read(Long.MAX_VALUE, Integer.MAX_VALUE));
        samples.add(new Read(-1, -1));
        samples.add(new Write(-4096, List.of(), MemorySegment.ofArray(new byte[0])));
        samples.add(new Write(Long.MAX_VALUE - 4095, List.of(0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                MemorySegment.ofArray(randomBytes(random, 4 << 20))));
        samples.add(new WriteZeroes(1L << 50, 1 << 30, List.of(2)));
        samples.add(new WriteZeroes(Long.MIN_VALUE, Integer.MIN_VALUE, List.of()));
        samples.add(new Trim(1L << 40, 1 << 20, List.of(1, 3)));
        samples.add(new Trim(Long.MAX_VALUE, Integer.MAX_VALUE, List.of()));
        samples.add(new MarkDirty(List.of(), 0, 0));
        samples.add(new MarkDirty(List.of(1, 2), Long.MIN_VALUE, Long.MAX_VALUE));
        samples.add(new Flush());
        samples.add(new ReadChunk(Long.MAX_VALUE));
        samples.add(new ReadChunks(Long.MAX_VALUE, Integer.MIN_VALUE));
        samples.add(new ReadChunks(3, 8));
        samples.add(new ChunksClean(1, new long[0]));
        samples.add(new ChunksClean(-1, new long[] {0, Long.MAX_VALUE, Long.MIN_VALUE}));
        samples.add(new Ping());
        samples.add(new AuthStart(Role.SYNC, NAME_64_BYTES, SESSION_255_BYTES, Integer.MAX_VALUE,
                randomBytes(random, RmrCodec.MAX_AUTH_BYTES)));
        samples.add(new AuthStart(Role.COMPUTE, "", "", -1, new byte[0]));
        samples.add(new AuthProof(randomBytes(random, 32)));
        samples.add(new AuthChallenge(randomBytes(random, 32), randomBytes(random, RmrCodec.MAX_AUTH_BYTES)));
        samples.add(new ChunkChecksum(0));
        samples.add(new ChunkChecksum(Long.MIN_VALUE));
        samples.add(new Unmap(new UUID(-1, 0)));
        samples.add(new Ok());
        for (Status status : Status.values()) {
            samples.add(new Failure(status, status == Status.IO_ERROR ? "disk gone: ünïcödé ✓ 𝄞" : ""));
        }
        samples.add(new HelloOk(2, "NORMAL", STORE));
        samples.add(new HelloOk(-1, "", null));
        samples.add(new HelloOk(0, NAME_64_BYTES, STORE_WITHOUT_UUID));
        samples.add(new HelloOk(3, "NORMAL", STORE, Long.MAX_VALUE));
        samples.add(new Params(null));
        samples.add(new Params(STORE));
        samples.add(new Params(STORE_WITHOUT_UUID));
        samples.add(new Maps(64, List.of(new MemberMap(0, new long[] {Long.MIN_VALUE}))));
        samples.add(new Maps(65, List.of(new MemberMap(1, new long[] {1, 1}), new MemberMap(2, new long[] {2, 2}))));
        samples.add(new Maps(1, List.of(new MemberMap(7, new long[] {1}))));
        samples.add(new Checksum(Long.MAX_VALUE, Integer.MIN_VALUE));
        samples.add(new Checksum(0, -1));
        samples.add(new Data(MemorySegment.ofArray(new byte[0])));
        samples.add(new Data(MemorySegment.ofArray(randomBytes(random, 4 << 20))));
        return samples;
    }

    @Test
    void samplesCoverEveryMessageType() {
        Set<Class<?>> covered = samples().stream().map(Object::getClass).collect(Collectors.toSet());
        assertEquals(Set.of(Message.class.getPermittedSubclasses()), covered);
    }

    @Test
    void everyMessageRoundTripsWithItsRequestId() throws Exception {
        List<Message> samples = samples();
        for (int i = 0; i < samples.size(); i++) {
            Message message = samples.get(i);
            long requestId = REQUEST_IDS[i % REQUEST_IDS.length];
            InputStream in = new ByteArrayInputStream(FrameBytes.encode(requestId, message));
            assertEquals(new Frame(requestId, message), RmrCodec.read(in), message.toString());
            assertEquals(-1, in.read(), "the frame was read to its end: " + message);
        }
    }

    @Test
    void framesFollowEachOtherAndTheStreamEndsAtAFrameBoundary() throws Exception {
        List<Message> samples = samples();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < samples.size(); i++) {
            RmrCodec.write(out, i, samples.get(i));
        }
        InputStream in = new ByteArrayInputStream(out.toByteArray());
        for (int i = 0; i < samples.size(); i++) {
            assertEquals(new Frame(i, samples.get(i)), RmrCodec.read(in));
        }
        assertThrows(EOFException.class, () -> RmrCodec.read(in));
    }

    @Test
    void headerAndPayloadLayoutArePinned() {
        HexFormat hex = HexFormat.of();
        assertEquals(7, RmrCodec.VERSION);
        assertEquals("524d5231" + "07" + "08" + "0000" + "1122334455667788" + "0000000c"
                + "0102030405060708" + "0a0b0c0d",
                hex.formatHex(FrameBytes.encode(0x1122334455667788L, new Read(0x0102030405060708L, 0x0a0b0c0d))));
        assertEquals("524d5231" + "07" + "81" + "0000" + "ffffffffffffffff" + "00000005" + "03" + "0002" + "c3a9",
                hex.formatHex(FrameBytes.encode(-1, new Failure(Status.DIRTY, "é"))));
        assertEquals("524d5231" + "07" + "09" + "0000" + "0000000000000001" + "00000013"
                + "fffffffffffff000" + "0001" + "00000002" + "00000001" + "ab",
                hex.formatHex(FrameBytes.encode(1, new Write(-4096, List.of(2), MemorySegment.ofArray(new byte[] {(byte) 0xab})))));
        assertEquals("524d5231" + "07" + "83" + "0000" + "0000000000000002" + "00000001" + "00",
                hex.formatHex(FrameBytes.encode(2, new Params(null))));
        assertEquals("524d5231" + "07" + "84" + "0000" + "0000000000000003" + "00000022"
                + "0000000000000041" + "0001" + "00000005" + "00000002" + "8000000000000000" + "0000000000000001",
                hex.formatHex(FrameBytes.encode(3, new Maps(65, List.of(new MemberMap(5,
                        new long[] {Long.MIN_VALUE, 1}))))));
        assertEquals("524d5231" + "07" + "16" + "0000" + "0000000000000003" + "00000000",
                hex.formatHex(FrameBytes.encode(3, new Maintenance())));
        assertEquals("524d5231" + "07" + "19" + "0000" + "0000000000000004" + "00000012"
                + "0000000000100000" + "00200000" + "0001" + "00000002",
                hex.formatHex(FrameBytes.encode(4, new Trim(1 << 20, 2 << 20, List.of(2)))));
        assertEquals("524d5231" + "07" + "1a" + "0000" + "0000000000000005" + "0000000c"
                + "0000000000000010" + "00000008",
                hex.formatHex(FrameBytes.encode(5, new ReadChunks(16, 8))));
    }

    @Test
    void authFramesStayHandshakeSized() {
        AuthStart largest = new AuthStart(Role.COMPUTE, NAME_64_BYTES, SESSION_255_BYTES, -1,
                new byte[RmrCodec.MAX_AUTH_BYTES]);
        assertTrue(FrameBytes.encode(1, largest).length < 512);
        assertTrue(FrameBytes.encode(1, new AuthChallenge(new byte[64], new byte[64])).length < 512);
    }

    @Test
    void theAuthTranscriptDependsOnEveryFieldAndTheLabel() {
        AuthStart start = new AuthStart(Role.SYNC, "p", "s", 2, new byte[] {1});
        byte[] nonce = {2};
        List<byte[]> transcripts = List.of(
                RmrCodec.authTranscript("a", start, nonce),
                RmrCodec.authTranscript("b", start, nonce),
                RmrCodec.authTranscript("a", new AuthStart(Role.COMPUTE, "p", "s", 2, new byte[] {1}), nonce),
                RmrCodec.authTranscript("a", new AuthStart(Role.SYNC, "q", "s", 2, new byte[] {1}), nonce),
                RmrCodec.authTranscript("a", new AuthStart(Role.SYNC, "p", "t", 2, new byte[] {1}), nonce),
                RmrCodec.authTranscript("a", new AuthStart(Role.SYNC, "p", "s", 3, new byte[] {1}), nonce),
                RmrCodec.authTranscript("a", new AuthStart(Role.SYNC, "p", "s", 2, new byte[] {9}), nonce),
                RmrCodec.authTranscript("a", start, new byte[] {3}),
                // the same bytes split differently between pool and session must not collide
                RmrCodec.authTranscript("a", new AuthStart(Role.SYNC, "ps", "", 2, new byte[] {1}), nonce));
        Set<String> distinct = transcripts.stream().map(HexFormat.of()::formatHex).collect(Collectors.toSet());
        assertEquals(transcripts.size(), distinct.size());
    }

    @Test
    void theLargestPayloadRoundTripsAndOneByteMoreIsRefusedBeforeWriting() throws Exception {
        byte[] largest = new byte[RmrCodec.MAX_PAYLOAD - 4];
        largest[largest.length - 1] = 42;
        byte[] frame = FrameBytes.encode(9, new Data(MemorySegment.ofArray(largest)));
        assertEquals(RmrCodec.HEADER_BYTES + RmrCodec.MAX_PAYLOAD, frame.length);
        Data decoded = (Data) RmrCodec.read(new ByteArrayInputStream(frame)).message();
        assertArrayEquals(largest, decoded.data().toArray(ValueLayout.JAVA_BYTE));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Message tooLarge = new Data(MemorySegment.ofArray(new byte[RmrCodec.MAX_PAYLOAD - 3]));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RmrCodec.write(out, 9, tooLarge))
                .getMessage().contains("more than the limit"));
        assertEquals(0, out.size());
    }

    @Test
    void encodingRefusesWhatThePeerWouldRefuseAndWritesNothing() {
        String name65 = NAME_64_BYTES + "x";
        assertRefused(IllegalArgumentException.class, "pool is 65 bytes of UTF-8, at most 64",
                new Hello(1, Role.COMPUTE, name65, "s", JoinMode.CREATE, 4096, -1));
        assertRefused(IllegalArgumentException.class, "session is 256 bytes of UTF-8, at most 255",
                new Hello(1, Role.COMPUTE, "p", SESSION_255_BYTES + "x", JoinMode.CREATE, 4096, -1));
        assertRefused(IllegalArgumentException.class, "poolState is 65 bytes",
                new HelloOk(1, name65, null));
        assertRefused(IllegalArgumentException.class, "store poolName is 65 bytes",
                new Params(new StoreParams(name65, 1, 8, 4096, 512, false, null)));
        assertRefused(IllegalArgumentException.class, "the map of member 1 has 2 words, 129 chunks need 3",
                new Maps(129, List.of(new MemberMap(1, new long[2]))));
        assertRefused(IllegalArgumentException.class, "chunkCount -1 is negative", new Maps(-1, List.of()));
        assertRefused(IllegalArgumentException.class, "257 member maps, at most 256",
                new Maps(0, Collections.nCopies(257, new MemberMap(1, new long[0]))));
        assertRefused(IllegalArgumentException.class, "missingMembers lists 65536 members",
                new WriteZeroes(0, 0, Collections.nCopies(65536, 1)));
        assertRefused(NullPointerException.class, "poolUuid", new MarkMapped(null));
        assertRefused(NullPointerException.class, "data", new Data(null));
        assertRefused(NullPointerException.class, "message", new Failure(Status.INVALID, null));
        assertRefused(NullPointerException.class, "status", new Failure(null, "x"));
        assertRefused(NullPointerException.class, "mode", new Leave(null));
        assertRefused(IllegalArgumentException.class, "nonce is 65 bytes, at most 64",
                new AuthStart(Role.SYNC, "p", "s", 1, new byte[65]));
        assertRefused(NullPointerException.class, "proof", new AuthProof(null));
    }

    @Test
    void failureMessagesAreCutAtACharacterBoundary() throws Exception {
        assertEquals("é".repeat(2048), roundTripFailureMessage("é".repeat(3000)));
        assertEquals("ab" + "€".repeat(1364), roundTripFailureMessage("ab" + "€".repeat(2000)));
        assertEquals("𝄞".repeat(1024), roundTripFailureMessage("𝄞".repeat(2000)));
        assertEquals("x" + "𝄞".repeat(1023), roundTripFailureMessage("x" + "𝄞".repeat(2000)));
        String exact = "a".repeat(RmrCodec.MAX_FAILURE_MESSAGE_BYTES);
        assertEquals(exact, roundTripFailureMessage(exact));
    }

    private static String roundTripFailureMessage(String message) throws Exception {
        Frame frame = RmrCodec.read(new ByteArrayInputStream(FrameBytes.encode(1, new Failure(Status.IO_ERROR,
                message))));
        String decoded = ((Failure) frame.message()).message();
        assertTrue(decoded.getBytes(StandardCharsets.UTF_8).length <= RmrCodec.MAX_FAILURE_MESSAGE_BYTES);
        return decoded;
    }

    private static void assertRefused(Class<? extends RuntimeException> type, String reason, Message message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RuntimeException refusal = assertThrows(type, () -> RmrCodec.write(out, 1, message));
        assertTrue(String.valueOf(refusal.getMessage()).contains(reason), refusal.getMessage());
        assertEquals(0, out.size(), "nothing written for " + message);
    }

    static byte[] randomBytes(Random random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    static String describe(byte[] bytes) {
        return bytes.length <= 256 ? HexFormat.of().formatHex(bytes)
                : bytes.length + " bytes starting " + HexFormat.of().formatHex(Arrays.copyOf(bytes, 64));
    }

    /** Decodes every frame of {@code bytes}; what a reader of a connection would do. */
    static int readAll(byte[] bytes) throws IOException, ProtocolException {
        InputStream in = new ByteArrayInputStream(bytes);
        int frames = 0;
        while (true) {
            try {
                RmrCodec.read(in);
            } catch (EOFException end) {
                return frames;
            }
            frames++;
        }
    }
}
