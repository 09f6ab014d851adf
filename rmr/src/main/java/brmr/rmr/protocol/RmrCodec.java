package brmr.rmr.protocol;

import brmr.device.IoBuffer;
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
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The RMR session wire format: the only class that turns {@link Message}s into bytes and back.
 *
 * <p>A frame is a 20-byte header followed by the payload of one message, all big-endian:
 * {@code u32 magic "RMR1", u8 version, u8 type, u16 flags (0), u64 request id, u32 payload length}.
 * Payload fields: integers as their Java width; strings as u16 length + UTF-8; enums as the u8
 * ordinal of the {@link Message} enum (so reordering one of those enums needs a new {@link #VERSION});
 * {@code List<Integer>} as u16 count + i32s; {@code long[]} as u32 count + i64s; the data of a Write
 * or Data ({@code MemorySegment}) as u32 length + bytes, always the last field, so that a sender writes
 * it straight from the caller's segment ({@link #encode}) and a receiver reads it straight into the
 * segment a {@link DataDestination} chooses; UUIDs as two i64; nullable values behind a u8 presence
 * flag (0 or 1).
 *
 * <p>Decoding checks the structure (magic, version, type, flags, lengths, enum ranges, strict
 * UTF-8, exact payload length) and throws {@link ProtocolException} for anything else; it does not
 * check what the values mean (offsets, lengths, member ids), which is the receiver's business.
 * Encoding refuses, with {@link IllegalArgumentException} and before writing a byte, a message the
 * peer would refuse.
 */
public final class RmrCodec {
    /** "RMR1". */
    public static final int MAGIC = 0x524D5231;
    /**
     * 2: Ping, ChunkChecksum, Unmap and Checksum added. 3: the writer in Hello and HelloOk, ClaimWriter,
     * FENCED, and recovery: GetRecovery, RecoveryState, InService, ActivityResolved. 4: Maintenance.
     * 5: authentication: AuthStart, AuthChallenge, AuthProof. 6: Trim. 7: ReadChunks.
     */
    public static final int VERSION = 7;
    public static final int HEADER_BYTES = 20;
    /** The most data one Read, Write or Data carries. */
    public static final int MAX_DATA_BYTES = 64 << 20;
    /** The largest payload: {@link #MAX_DATA_BYTES} of data plus room for the fields around it. */
    public static final int MAX_PAYLOAD = MAX_DATA_BYTES + 4096;
    /** Pool and pool-state names, as in the store metadata. */
    public static final int MAX_NAME_BYTES = 64;
    /**
     * Session names: any printable string without '/', as upstream's {@code psrv0@stg-rmr0}. Raised from 64
     * within version 2: the field's encoding is unchanged, and a peer with the old limit refuses a longer
     * name as a protocol error, never misreads it.
     */
    public static final int MAX_SESSION_NAME_BYTES = 255;
    /** Longer failure messages are cut (at a character boundary) when encoded. */
    public static final int MAX_FAILURE_MESSAGE_BYTES = 4096;
    /** Dirty maps in one {@link Maps}: far more than the members a pool can have. */
    public static final int MAX_MEMBER_MAPS = 256;
    /** Nonces and proofs of the authentication: 32 bytes each today, room for a longer MAC later. */
    public static final int MAX_AUTH_BYTES = 64;

    static final int VERSION_OFFSET = 4;
    static final int TYPE_OFFSET = 5;
    static final int FLAGS_OFFSET = 6;
    static final int LENGTH_OFFSET = 16;

    private static final int MAX_LIST_SIZE = 0xFFFF;
    /** Arrays in a payload start this large and double as their bytes arrive. */
    private static final int FIRST_PIECE_BYTES = 64 * 1024;

    private RmrCodec() {
    }

    /** The type code of every message: requests from 0x01, replies from 0x80. */
    private enum Type {
        HELLO(0x01, Hello.class),
        ENABLE(0x02, Enable.class),
        LEAVE(0x03, Leave.class),
        QUERY_PARAMS(0x04, QueryParams.class),
        MARK_MAPPED(0x05, MarkMapped.class),
        GET_MAPS(0x06, GetMaps.class),
        MAP_UPDATE(0x07, MapUpdate.class),
        READ(0x08, Read.class),
        WRITE(0x09, Write.class),
        WRITE_ZEROES(0x0A, WriteZeroes.class),
        MARK_DIRTY(0x0B, MarkDirty.class),
        FLUSH(0x0C, Flush.class),
        READ_CHUNK(0x0D, ReadChunk.class),
        CHUNKS_CLEAN(0x0E, ChunksClean.class),
        PING(0x0F, Ping.class),
        CHUNK_CHECKSUM(0x10, ChunkChecksum.class),
        UNMAP(0x11, Unmap.class),
        CLAIM_WRITER(0x12, ClaimWriter.class),
        GET_RECOVERY(0x13, GetRecovery.class),
        IN_SERVICE(0x14, InService.class),
        ACTIVITY_RESOLVED(0x15, ActivityResolved.class),
        MAINTENANCE(0x16, Maintenance.class),
        AUTH_START(0x17, AuthStart.class),
        AUTH_PROOF(0x18, AuthProof.class),
        TRIM(0x19, Trim.class),
        READ_CHUNKS(0x1A, ReadChunks.class),
        OK(0x80, Ok.class),
        FAILURE(0x81, Failure.class),
        HELLO_OK(0x82, HelloOk.class),
        PARAMS(0x83, Params.class),
        MAPS(0x84, Maps.class),
        DATA(0x85, Data.class),
        CHECKSUM(0x86, Checksum.class),
        RECOVERY_STATE(0x87, RecoveryState.class),
        AUTH_CHALLENGE(0x88, AuthChallenge.class);

        private static final Type[] BY_CODE = new Type[256];

        static {
            for (Type type : values()) {
                BY_CODE[type.code] = type;
            }
        }

        final int code;
        final String recordName;

        Type(int code, Class<? extends Message> record) {
            this.code = code;
            this.recordName = record.getSimpleName();
        }

        static Type of(int code) throws ProtocolException {
            Type type = BY_CODE[code];
            if (type == null) {
                throw new ProtocolException(String.format("unknown message type 0x%02x", code));
            }
            return type;
        }

        static Type of(Message message) {
            return switch (message) {
                case Hello _ -> HELLO;
                case Enable _ -> ENABLE;
                case Leave _ -> LEAVE;
                case QueryParams _ -> QUERY_PARAMS;
                case MarkMapped _ -> MARK_MAPPED;
                case GetMaps _ -> GET_MAPS;
                case MapUpdate _ -> MAP_UPDATE;
                case Read _ -> READ;
                case Write _ -> WRITE;
                case WriteZeroes _ -> WRITE_ZEROES;
                case Trim _ -> TRIM;
                case MarkDirty _ -> MARK_DIRTY;
                case Flush _ -> FLUSH;
                case ReadChunk _ -> READ_CHUNK;
                case ReadChunks _ -> READ_CHUNKS;
                case ChunksClean _ -> CHUNKS_CLEAN;
                case Ping _ -> PING;
                case ChunkChecksum _ -> CHUNK_CHECKSUM;
                case Unmap _ -> UNMAP;
                case ClaimWriter _ -> CLAIM_WRITER;
                case GetRecovery _ -> GET_RECOVERY;
                case InService _ -> IN_SERVICE;
                case ActivityResolved _ -> ACTIVITY_RESOLVED;
                case Maintenance _ -> MAINTENANCE;
                case RecoveryState _ -> RECOVERY_STATE;
                case AuthStart _ -> AUTH_START;
                case AuthProof _ -> AUTH_PROOF;
                case AuthChallenge _ -> AUTH_CHALLENGE;
                case Ok _ -> OK;
                case Failure _ -> FAILURE;
                case HelloOk _ -> HELLO_OK;
                case Params _ -> PARAMS;
                case Maps _ -> MAPS;
                case Data _ -> DATA;
                case Checksum _ -> CHECKSUM;
            };
        }
    }

    /**
     * Writes one frame; does not flush. Nothing is written when the message cannot be encoded, so
     * the stream stays usable after an {@link IllegalArgumentException} or {@link NullPointerException}.
     *
     * @throws IllegalArgumentException a name or list too long, a map of the wrong size, a payload over {@link #MAX_PAYLOAD}
     * @throws NullPointerException a field that may not be null is (only {@link StoreParams} and its pool UUID may)
     */
    public static void write(OutputStream out, long requestId, Message message) throws IOException {
        write(out, encode(requestId, message));
    }

    /** Writes an encoded frame, its data through a heap piece unless the data is a heap array; does not flush. */
    public static void write(OutputStream out, Encoded frame) throws IOException {
        out.write(frame.head().array(), frame.head().arrayOffset(), frame.head().remaining());
        if (frame.data() == null) {
            return;
        }
        ByteBuffer data = frame.data().asByteBuffer();
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
            return;
        }
        byte[] piece = new byte[Math.min(data.remaining(), FIRST_PIECE_BYTES)];
        while (data.hasRemaining()) {
            int n = Math.min(piece.length, data.remaining());
            data.get(piece, 0, n);
            out.write(piece, 0, n);
        }
    }

    /**
     * One encoded frame: {@code head} (a heap buffer ready to be read) holds the header and every
     * field but the data, {@code data} (null when the message has none) the bytes that follow it,
     * which a sender writes straight from the message's segment.
     */
    public record Encoded(ByteBuffer head, MemorySegment data) {
        /** The frame's length on the wire. */
        public long bytes() {
            return head.remaining() + (data == null ? 0 : data.byteSize());
        }
    }

    /**
     * Encodes one frame without copying its data. Refuses as {@link #write} does, before anything is
     * sent; the data segment must stay unchanged until the frame is written.
     */
    public static Encoded encode(long requestId, Message message) {
        Type type = Type.of(message);
        ByteArrayOutputStream fieldBytes = new ByteArrayOutputStream(64);
        MemorySegment data;
        try {
            fieldBytes.write(new byte[HEADER_BYTES]);
            data = writeFields(new DataOutputStream(fieldBytes), message);
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        long length = (long) fieldBytes.size() - HEADER_BYTES + (data == null ? 0 : data.byteSize());
        if (length > MAX_PAYLOAD) {
            throw new IllegalArgumentException(type.recordName + " needs a payload of " + length
                    + " bytes, more than the limit of " + MAX_PAYLOAD);
        }
        ByteBuffer head = ByteBuffer.wrap(fieldBytes.toByteArray());
        head.putInt(MAGIC).put((byte) VERSION).put((byte) type.code).putShort((short) 0)
                .putLong(requestId).putInt((int) length);
        return new Encoded(head.rewind(), data);
    }

    /**
     * Reads one frame. After a {@link ProtocolException} the stream is at an unknown position and
     * the connection has to be closed; a frame of another version is refused without reading its payload.
     *
     * @throws EOFException the stream ended exactly at a frame boundary (the peer closed cleanly)
     * @throws ProtocolException the bytes are not a valid frame, or the stream ended inside one
     */
    public static Frame read(InputStream in) throws IOException, ProtocolException {
        return read(in, (type, length) -> { });
    }

    /** As {@link #read(FrameInput, PayloadAdmission, DataDestination)}, data in heap segments. */
    public static Frame read(InputStream in, PayloadAdmission admission) throws IOException, ProtocolException {
        return read(FrameInput.of(in), admission, DataDestination.HEAP);
    }

    /**
     * Reads one frame, letting {@code admission} see its type and payload length after the header
     * and before any byte of the payload is read or allocated: it may refuse the frame with a
     * {@link ProtocolException} or wait (e.g. for room in a budget of bytes in flight). The data of a
     * Write or Data is read into the segment {@code destination} chooses; a frame that fails to decode
     * gives a pooled buffer back before it throws.
     */
    public static Frame read(FrameInput in, PayloadAdmission admission, DataDestination destination)
            throws IOException, ProtocolException {
        byte[] header = in.readNBytes(HEADER_BYTES);
        if (header.length == 0) {
            throw new EOFException("the peer closed the connection");
        }
        if (header.length < HEADER_BYTES) {
            throw new ProtocolException("connection ended inside a frame header, after " + header.length + " of "
                    + HEADER_BYTES + " bytes");
        }
        ByteBuffer fields = ByteBuffer.wrap(header);
        int magic = fields.getInt();
        if (magic != MAGIC) {
            throw new ProtocolException(String.format("bad magic 0x%08x, not an RMR frame", magic));
        }
        int version = Byte.toUnsignedInt(fields.get());
        if (version != VERSION) {
            throw new ProtocolException("protocol version " + version + ", this node speaks " + VERSION);
        }
        Type type = Type.of(Byte.toUnsignedInt(fields.get()));
        int flags = Short.toUnsignedInt(fields.getShort());
        if (flags != 0) {
            throw new ProtocolException(String.format("unknown frame flags 0x%04x on %s", flags, type.recordName));
        }
        long requestId = fields.getLong();
        long length = Integer.toUnsignedLong(fields.getInt());
        if (length > MAX_PAYLOAD) {
            throw new ProtocolException(type.recordName + " payload of " + length + " bytes exceeds the limit of "
                    + MAX_PAYLOAD);
        }
        admission.admit(type.recordName, length);
        PayloadReader payload = new PayloadReader(in, type.recordName, length, requestId, destination);
        boolean decoded = false;
        try {
            Message message = readFields(type, payload);
            payload.expectEnd();
            decoded = true;
            return new Frame(requestId, message, payload.pooled);
        } catch (EOFException e) {
            throw new ProtocolException("connection ended inside a " + type.recordName + " payload of " + length
                    + " bytes");
        } finally {
            if (!decoded && payload.pooled != null) {
                payload.pooled.close();
            }
        }
    }

    /** Writes every field but the trailing data, which it returns (null when none) so that the caller writes it uncopied. */
    private static MemorySegment writeFields(DataOutputStream out, Message message) throws IOException {
        switch (message) {
            case Hello hello -> {
                out.writeInt(hello.protocolVersion());
                writeEnum(out, hello.role(), "role");
                writeName(out, hello.pool(), "pool");
                writeName(out, hello.session(), "session", MAX_SESSION_NAME_BYTES);
                writeEnum(out, hello.mode(), "mode");
                out.writeInt(hello.chunkSize());
                out.writeInt(hello.fromMember());
                writeWriter(out, hello.writer());
            }
            case AuthStart start -> {
                writeEnum(out, start.role(), "role");
                writeName(out, start.pool(), "pool");
                writeName(out, start.session(), "session", MAX_SESSION_NAME_BYTES);
                out.writeInt(start.member());
                writeShortBytes(out, start.nonce(), "nonce");
            }
            case AuthProof proof -> writeShortBytes(out, proof.proof(), "proof");
            case AuthChallenge challenge -> {
                writeShortBytes(out, challenge.nonce(), "nonce");
                writeShortBytes(out, challenge.proof(), "proof");
            }
            case Leave leave -> writeEnum(out, leave.mode(), "mode");
            case MarkMapped markMapped -> writeUuid(out, Objects.requireNonNull(markMapped.poolUuid(), "poolUuid"));
            case MapUpdate mapUpdate -> writeMaps(out, Objects.requireNonNull(mapUpdate.maps(), "maps"));
            case Read read -> {
                out.writeLong(read.offset());
                out.writeInt(read.length());
            }
            case Write write -> {
                out.writeLong(write.offset());
                writeMembers(out, write.missingMembers(), "missingMembers");
                return withLength(out, write.data());
            }
            case WriteZeroes writeZeroes -> {
                out.writeLong(writeZeroes.offset());
                out.writeInt(writeZeroes.length());
                writeMembers(out, writeZeroes.missingMembers(), "missingMembers");
            }
            case Trim trim -> {
                out.writeLong(trim.offset());
                out.writeInt(trim.length());
                writeMembers(out, trim.missingMembers(), "missingMembers");
            }
            case MarkDirty markDirty -> {
                writeMembers(out, markDirty.members(), "members");
                out.writeLong(markDirty.firstChunk());
                out.writeLong(markDirty.lastChunk());
            }
            case ReadChunk readChunk -> out.writeLong(readChunk.chunk());
            case ReadChunks readChunks -> {
                out.writeLong(readChunks.firstChunk());
                out.writeInt(readChunks.count());
            }
            case ChunkChecksum chunkChecksum -> out.writeLong(chunkChecksum.chunk());
            case Unmap unmap -> writeUuid(out, Objects.requireNonNull(unmap.poolUuid(), "poolUuid"));
            case ClaimWriter claim -> out.writeLong(claim.epoch());
            case InService inService -> {
                out.writeLong(inService.mapVersion());
                writeMembers(out, inService.members(), "members");
            }
            case RecoveryState recovery -> {
                out.writeLong(recovery.writerEpoch());
                out.writeLong(recovery.mapVersion());
                writeMembers(out, recovery.inService(), "inService");
                writeLongs(out, Objects.requireNonNull(recovery.activeChunks(), "activeChunks"));
            }
            case Checksum checksum -> {
                out.writeLong(checksum.chunk());
                out.writeInt(checksum.crc32c());
            }
            case ChunksClean chunksClean -> {
                out.writeInt(chunksClean.member());
                writeLongs(out, Objects.requireNonNull(chunksClean.chunks(), "chunks"));
            }
            case Failure failure -> {
                writeEnum(out, failure.status(), "status");
                writeTruncated(out, Objects.requireNonNull(failure.message(), "message"), MAX_FAILURE_MESSAGE_BYTES);
            }
            case HelloOk helloOk -> {
                out.writeInt(helloOk.memberId());
                writeName(out, helloOk.poolState(), "poolState");
                writeStore(out, helloOk.store());
                out.writeLong(helloOk.writerEpoch());
            }
            case Params params -> writeStore(out, params.store());
            case Maps maps -> writeMaps(out, maps);
            case Data data -> {
                return withLength(out, data.data());
            }
            case Enable _, QueryParams _, GetMaps _, Flush _, Ok _, Ping _, GetRecovery _, ActivityResolved _,
                    Maintenance _ -> {
                // no fields
            }
        }
        return null;
    }

    private static Message readFields(Type type, PayloadReader in) throws IOException, ProtocolException {
        return switch (type) {
            case HELLO -> new Hello(in.i32(), in.enumValue(Role.values(), "role"), in.name("pool"),
                    in.text("session", MAX_SESSION_NAME_BYTES), in.enumValue(JoinMode.values(), "mode"), in.i32(),
                    in.i32(), readWriter(in));
            case AUTH_START -> new AuthStart(in.enumValue(Role.values(), "role"), in.name("pool"),
                    in.text("session", MAX_SESSION_NAME_BYTES), in.i32(), in.shortBytes("nonce"));
            case AUTH_PROOF -> new AuthProof(in.shortBytes("proof"));
            case AUTH_CHALLENGE -> new AuthChallenge(in.shortBytes("nonce"), in.shortBytes("proof"));
            case ENABLE -> new Enable();
            case LEAVE -> new Leave(in.enumValue(LeaveMode.values(), "mode"));
            case QUERY_PARAMS -> new QueryParams();
            case MARK_MAPPED -> new MarkMapped(in.uuid());
            case GET_MAPS -> new GetMaps();
            case MAP_UPDATE -> new MapUpdate(readMaps(in));
            case READ -> new Read(in.i64(), in.i32());
            case WRITE -> new Write(in.i64(), in.members("missingMembers"), in.data("data"));
            case WRITE_ZEROES -> new WriteZeroes(in.i64(), in.i32(), in.members("missingMembers"));
            case TRIM -> new Trim(in.i64(), in.i32(), in.members("missingMembers"));
            case MARK_DIRTY -> new MarkDirty(in.members("members"), in.i64(), in.i64());
            case FLUSH -> new Flush();
            case READ_CHUNK -> new ReadChunk(in.i64());
            case READ_CHUNKS -> new ReadChunks(in.i64(), in.i32());
            case CHUNKS_CLEAN -> new ChunksClean(in.i32(), in.longs("chunks"));
            case PING -> new Ping();
            case CHUNK_CHECKSUM -> new ChunkChecksum(in.i64());
            case UNMAP -> new Unmap(in.uuid());
            case CLAIM_WRITER -> new ClaimWriter(in.i64());
            case GET_RECOVERY -> new GetRecovery();
            case IN_SERVICE -> new InService(in.i64(), in.members("members"));
            case ACTIVITY_RESOLVED -> new ActivityResolved();
            case MAINTENANCE -> new Maintenance();
            case RECOVERY_STATE -> new RecoveryState(in.i64(), in.i64(), in.members("inService"),
                    in.longs("activeChunks"));
            case OK -> new Ok();
            case FAILURE -> new Failure(in.enumValue(Status.values(), "status"),
                    in.text("message", MAX_FAILURE_MESSAGE_BYTES));
            case HELLO_OK -> new HelloOk(in.i32(), in.name("poolState"), readStore(in), in.i64());
            case PARAMS -> new Params(readStore(in));
            case MAPS -> readMaps(in);
            case DATA -> new Data(in.data("data"));
            case CHECKSUM -> new Checksum(in.i64(), in.i32());
        };
    }

    private static void writeEnum(DataOutputStream out, Enum<?> value, String field) throws IOException {
        out.writeByte(Objects.requireNonNull(value, field).ordinal());
    }

    private static void writeName(DataOutputStream out, String name, String field) throws IOException {
        writeName(out, name, field, MAX_NAME_BYTES);
    }

    private static void writeName(DataOutputStream out, String name, String field, int maxBytes) throws IOException {
        byte[] bytes = Objects.requireNonNull(name, field).getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxBytes) {
            throw new IllegalArgumentException(field + " is " + bytes.length + " bytes of UTF-8, at most " + maxBytes);
        }
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    /** Writes the longest prefix of whole characters that fits in {@code maxBytes} of UTF-8. */
    private static void writeTruncated(DataOutputStream out, String text, int maxBytes) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(maxBytes);
        StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .encode(CharBuffer.wrap(text), bytes, true);
        out.writeShort(bytes.position());
        out.write(bytes.array(), 0, bytes.position());
    }

    private static void writeMembers(DataOutputStream out, List<Integer> members, String field) throws IOException {
        Objects.requireNonNull(members, field);
        if (members.size() > MAX_LIST_SIZE) {
            throw new IllegalArgumentException(field + " lists " + members.size() + " members, at most " + MAX_LIST_SIZE);
        }
        out.writeShort(members.size());
        for (int member : members) {
            out.writeInt(member);
        }
    }

    private static void writeLongs(DataOutputStream out, long[] values) throws IOException {
        out.writeInt(values.length);
        for (long value : values) {
            out.writeLong(value);
        }
    }

    /** A nonce or proof: u8 length + bytes, at most {@link #MAX_AUTH_BYTES}. */
    private static void writeShortBytes(DataOutputStream out, byte[] bytes, String field) throws IOException {
        Objects.requireNonNull(bytes, field);
        if (bytes.length > MAX_AUTH_BYTES) {
            throw new IllegalArgumentException(field + " is " + bytes.length + " bytes, at most " + MAX_AUTH_BYTES);
        }
        out.writeByte(bytes.length);
        out.write(bytes);
    }

    /**
     * The bytes an authentication proof is a MAC over: a direction label, then every field of the
     * {@link AuthStart} and the serving node's nonce, each length-prefixed so that no two transcripts
     * run together into the same bytes.
     */
    public static byte[] authTranscript(String label, AuthStart start, byte[] serverNonce) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        DataOutputStream out = new DataOutputStream(bytes);
        try {
            writeName(out, label, "label", MAX_NAME_BYTES);
            writeEnum(out, start.role(), "role");
            writeName(out, start.pool(), "pool");
            writeName(out, start.session(), "session", MAX_SESSION_NAME_BYTES);
            out.writeInt(start.member());
            writeShortBytes(out, start.nonce(), "nonce");
            writeShortBytes(out, serverNonce, "serverNonce");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static MemorySegment withLength(DataOutputStream out, MemorySegment data) throws IOException {
        long length = Objects.requireNonNull(data, "data").byteSize();
        out.writeInt((int) Math.min(length, Integer.MAX_VALUE));
        return data;
    }

    private static void writeUuid(DataOutputStream out, UUID uuid) throws IOException {
        out.writeLong(uuid.getMostSignificantBits());
        out.writeLong(uuid.getLeastSignificantBits());
    }

    private static void writeWriter(DataOutputStream out, Writer writer) throws IOException {
        out.writeBoolean(writer != null);
        if (writer == null) {
            return;
        }
        writeUuid(out, Objects.requireNonNull(writer.clientId(), "writer clientId"));
        out.writeLong(writer.epoch());
        out.writeBoolean(writer.force());
    }

    private static Writer readWriter(PayloadReader in) throws IOException, ProtocolException {
        if (!in.flag("writer presence")) {
            return null;
        }
        return new Writer(in.uuid(), in.i64(), in.flag("writer force"));
    }

    private static void writeStore(DataOutputStream out, StoreParams store) throws IOException {
        out.writeBoolean(store != null);
        if (store == null) {
            return;
        }
        writeName(out, store.poolName(), "store poolName");
        out.writeInt(store.memberId());
        out.writeLong(store.mappedSizeSectors());
        out.writeInt(store.chunkSize());
        out.writeInt(store.sectorSize());
        out.writeBoolean(store.mapped());
        out.writeBoolean(store.poolUuid() != null);
        if (store.poolUuid() != null) {
            writeUuid(out, store.poolUuid());
        }
    }

    private static StoreParams readStore(PayloadReader in) throws IOException, ProtocolException {
        if (!in.flag("store presence")) {
            return null;
        }
        String poolName = in.name("store poolName");
        int memberId = in.i32();
        long mappedSizeSectors = in.i64();
        int chunkSize = in.i32();
        int sectorSize = in.i32();
        boolean mapped = in.flag("store mapped");
        UUID poolUuid = in.flag("store poolUuid presence") ? in.uuid() : null;
        return new StoreParams(poolName, memberId, mappedSizeSectors, chunkSize, sectorSize, mapped, poolUuid);
    }

    private static void writeMaps(DataOutputStream out, Maps maps) throws IOException {
        List<MemberMap> memberMaps = Objects.requireNonNull(maps.maps(), "maps");
        if (maps.chunkCount() < 0) {
            throw new IllegalArgumentException("chunkCount " + maps.chunkCount() + " is negative");
        }
        if (memberMaps.size() > MAX_MEMBER_MAPS) {
            throw new IllegalArgumentException(memberMaps.size() + " member maps, at most " + MAX_MEMBER_MAPS);
        }
        long words = wordsFor(maps.chunkCount());
        out.writeLong(maps.chunkCount());
        out.writeShort(memberMaps.size());
        for (MemberMap map : memberMaps) {
            Objects.requireNonNull(map.words(), "words");
            if (map.words().length != words) {
                throw new IllegalArgumentException("the map of member " + map.member() + " has " + map.words().length
                        + " words, " + maps.chunkCount() + " chunks need " + words);
            }
            out.writeInt(map.member());
            writeLongs(out, map.words());
        }
    }

    private static Maps readMaps(PayloadReader in) throws IOException, ProtocolException {
        long chunkCount = in.i64();
        if (chunkCount < 0) {
            throw new ProtocolException("Maps chunk count " + chunkCount + " is negative");
        }
        int count = in.u16();
        if (count > MAX_MEMBER_MAPS) {
            throw new ProtocolException("Maps holds " + count + " member maps, at most " + MAX_MEMBER_MAPS);
        }
        long words = wordsFor(chunkCount);
        List<MemberMap> maps = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int member = in.i32();
            long[] memberWords = in.longs("words");
            if (memberWords.length != words) {
                throw new ProtocolException("Maps: the map of member " + member + " has " + memberWords.length
                        + " words, " + chunkCount + " chunks need " + words);
            }
            maps.add(new MemberMap(member, memberWords));
        }
        return new Maps(chunkCount, maps);
    }

    /** One bit per chunk, 64 chunks per word. */
    private static long wordsFor(long chunkCount) {
        return Math.ceilDiv(chunkCount, 64L);
    }

    /** Reads the fields of one payload, never past its declared length. */
    private static final class PayloadReader {
        private final FrameInput input;
        private final DataInputStream in;
        private final String type;
        private final long requestId;
        private final DataDestination destination;
        private long remaining;
        /** The pooled buffer the data was read into, or null; the frame owns it once decoded. */
        IoBuffer pooled;

        PayloadReader(FrameInput input, String type, long length, long requestId, DataDestination destination) {
            this.input = input;
            this.in = new DataInputStream(input);
            this.type = type;
            this.remaining = length;
            this.requestId = requestId;
            this.destination = destination;
        }

        /** Claims {@code bytes} of the payload before they are read or allocated. */
        private void claim(long bytes, String field) throws ProtocolException {
            if (bytes > remaining) {
                throw new ProtocolException(type + " payload too short: " + field + " needs " + bytes + " bytes, "
                        + remaining + " left");
            }
            remaining -= bytes;
        }

        void expectEnd() throws ProtocolException {
            if (remaining != 0) {
                throw new ProtocolException(remaining + " trailing bytes in a " + type + " payload");
            }
        }

        int u8(String field) throws IOException, ProtocolException {
            claim(1, field);
            return in.readUnsignedByte();
        }

        int u16() throws IOException, ProtocolException {
            claim(2, "a count");
            return in.readUnsignedShort();
        }

        int i32() throws IOException, ProtocolException {
            claim(4, "an int");
            return in.readInt();
        }

        long u32(String field) throws IOException, ProtocolException {
            claim(4, field + " length");
            return Integer.toUnsignedLong(in.readInt());
        }

        long i64() throws IOException, ProtocolException {
            claim(8, "a long");
            return in.readLong();
        }

        UUID uuid() throws IOException, ProtocolException {
            return new UUID(i64(), i64());
        }

        boolean flag(String field) throws IOException, ProtocolException {
            int value = u8(field);
            if (value > 1) {
                throw new ProtocolException(type + " " + field + " is " + value + ", not 0 or 1");
            }
            return value == 1;
        }

        <E extends Enum<E>> E enumValue(E[] values, String field) throws IOException, ProtocolException {
            int ordinal = u8(field);
            if (ordinal >= values.length) {
                throw new ProtocolException(type + " " + field + " " + ordinal + " is out of range 0.."
                        + (values.length - 1));
            }
            return values[ordinal];
        }

        String name(String field) throws IOException, ProtocolException {
            return text(field, MAX_NAME_BYTES);
        }

        String text(String field, int maxBytes) throws IOException, ProtocolException {
            int length = u16();
            if (length > maxBytes) {
                throw new ProtocolException(type + " " + field + " is " + length + " bytes, at most " + maxBytes);
            }
            claim(length, field);
            byte[] bytes = new byte[length];
            in.readFully(bytes);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolException(type + " " + field + " is not valid UTF-8");
            }
        }

        List<Integer> members(String field) throws IOException, ProtocolException {
            int count = u16();
            claim(4L * count, field);
            List<Integer> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                members.add(in.readInt());
            }
            return List.copyOf(members);
        }

        long[] longs(String field) throws IOException, ProtocolException {
            long count = u32(field);
            claim(8 * count, field);
            long[] values = new long[(int) Math.min(count, FIRST_PIECE_BYTES / Long.BYTES)];
            for (int i = 0; i < count; i++) {
                if (i == values.length) {
                    values = Arrays.copyOf(values, (int) Math.min(count, 2L * values.length));
                }
                values[i] = in.readLong();
            }
            return values;
        }

        byte[] shortBytes(String field) throws IOException, ProtocolException {
            int length = u8(field + " length");
            if (length > MAX_AUTH_BYTES) {
                throw new ProtocolException(type + " " + field + " is " + length + " bytes, at most " + MAX_AUTH_BYTES);
            }
            claim(length, field);
            byte[] bytes = new byte[length];
            in.readFully(bytes);
            return bytes;
        }

        /** The data, read into the segment the destination chooses (or a heap one). */
        MemorySegment data(String field) throws IOException, ProtocolException {
            long length = u32(field);
            claim(length, field);
            DataDestination.Buffer buffer = destination.take(requestId, (int) length);
            if (buffer == null) {
                return MemorySegment.ofArray(bytes(length));
            }
            pooled = buffer.pooled();
            if (buffer.segment().byteSize() != length) {
                throw new IllegalStateException("the destination gave " + buffer.segment().byteSize()
                        + " bytes for " + length + " bytes of data");
            }
            input.readFully(buffer.segment());
            return buffer.segment();
        }

        /** Grows the array as the bytes arrive, so a declared length costs nothing until its bytes come. */
        private byte[] bytes(long length) throws IOException {
            byte[] bytes = new byte[(int) Math.min(length, FIRST_PIECE_BYTES)];
            int filled = 0;
            while (true) {
                in.readFully(bytes, filled, bytes.length - filled);
                filled = bytes.length;
                if (filled == length) {
                    return bytes;
                }
                bytes = Arrays.copyOf(bytes, (int) Math.min(length, 2L * filled));
            }
        }
    }
}
