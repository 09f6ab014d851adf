package brmr.admin.nbd;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The NBD wire format (newstyle fixed handshake, simple replies): every constant and every
 * message layout lives here, for both directions so that tests can speak as a client.
 */
final class NbdCodec {
    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454f5054L;
    static final long OPTION_REPLY_MAGIC = 0x0003e889045565a9L;
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;

    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int CLIENT_FLAG_FIXED_NEWSTYLE = 1;
    static final int CLIENT_FLAG_NO_ZEROES = 1 << 1;

    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;

    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_FLAG_ERROR = 1 << 31;
    static final int REP_ERR_UNSUP = REP_FLAG_ERROR | 1;
    static final int REP_ERR_INVALID = REP_FLAG_ERROR | 3;
    static final int REP_ERR_TLS_REQD = REP_FLAG_ERROR | 5;
    static final int REP_ERR_UNKNOWN = REP_FLAG_ERROR | 6;
    static final int REP_ERR_BLOCK_SIZE_REQD = REP_FLAG_ERROR | 8;

    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    static final int TX_HAS_FLAGS = 1;
    static final int TX_READ_ONLY = 1 << 1;
    static final int TX_SEND_FLUSH = 1 << 2;
    static final int TX_SEND_FUA = 1 << 3;
    static final int TX_SEND_TRIM = 1 << 5;
    static final int TX_SEND_WRITE_ZEROES = 1 << 6;

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_WRITE_ZEROES = 6;

    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;

    static final int EPERM = 1;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;

    /** A transmission request header: magic, flags, type, cookie, offset, length. */
    static final int REQUEST_HEADER_BYTES = 28;
    /** A simple reply header: magic, error, cookie. */
    static final int SIMPLE_REPLY_HEADER_BYTES = 16;

    /** The reply to NBD_OPT_EXPORT_NAME is padded with this many zeroes unless NO_ZEROES was agreed. */
    static final int EXPORT_NAME_REPLY_PADDING = 124;

    private NbdCodec() {
    }

    /** What the server tells the client in reply to an option, as read by a client. */
    record OptionReply(int option, int type, byte[] data) {
        boolean isError() {
            return (type & REP_FLAG_ERROR) != 0;
        }
    }

    /** The header of a simple reply; a successful read's data follows it. */
    record SimpleReply(int error, long cookie) {
    }

    static void writeGreeting(DataOutput out, int handshakeFlags) throws IOException {
        out.writeLong(NBDMAGIC);
        out.writeLong(IHAVEOPT);
        out.writeShort(handshakeFlags);
    }

    /** Returns the server's handshake flags. */
    static int readGreeting(DataInput in) throws IOException {
        if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
            throw new NbdProtocolException("not a newstyle NBD greeting");
        }
        return in.readUnsignedShort();
    }

    static void writeClientFlags(DataOutput out, int clientFlags) throws IOException {
        out.writeInt(clientFlags);
    }

    static int readClientFlags(DataInput in) throws IOException {
        return in.readInt();
    }

    static void writeOption(DataOutput out, NbdOption option) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option.code());
        out.writeInt(option.data().length);
        out.write(option.data());
    }

    /** Reads one option, refusing data longer than {@code maximumLength} before allocating it. */
    static NbdOption readOption(DataInput in, int maximumLength) throws IOException {
        if (in.readLong() != IHAVEOPT) {
            throw new NbdProtocolException("bad option magic");
        }
        int code = in.readInt();
        long length = in.readInt() & 0xffffffffL;
        if (length > maximumLength) {
            throw new NbdProtocolException("option " + code + " carries " + length + " bytes, limit " + maximumLength);
        }
        byte[] data = new byte[(int) length];
        in.readFully(data);
        return new NbdOption(code, data);
    }

    static void writeOptionReply(DataOutput out, int option, int replyType, byte[] data) throws IOException {
        out.writeLong(OPTION_REPLY_MAGIC);
        out.writeInt(option);
        out.writeInt(replyType);
        out.writeInt(data.length);
        out.write(data);
    }

    static OptionReply readOptionReply(DataInput in, int maximumLength) throws IOException {
        if (in.readLong() != OPTION_REPLY_MAGIC) {
            throw new NbdProtocolException("bad option reply magic");
        }
        int option = in.readInt();
        int type = in.readInt();
        long length = in.readInt() & 0xffffffffL;
        if (length > maximumLength) {
            throw new NbdProtocolException("option reply carries " + length + " bytes");
        }
        byte[] data = new byte[(int) length];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** The data of NBD_OPT_EXPORT_NAME is the bare name. */
    static String decodeExportName(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }

    static byte[] encodeExportQuery(NbdExportQuery query) {
        byte[] name = utf8(query.name());
        ByteBuffer buffer = ByteBuffer.allocate(4 + name.length + 2 + 2 * query.informationTypes().size());
        buffer.putInt(name.length).put(name).putShort((short) query.informationTypes().size());
        query.informationTypes().forEach(type -> buffer.putShort(type.shortValue()));
        return buffer.array();
    }

    /** The data of NBD_OPT_INFO or NBD_OPT_GO; empty when its lengths do not add up. */
    static Optional<NbdExportQuery> decodeExportQuery(byte[] data) {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        if (buffer.remaining() < 4) {
            return Optional.empty();
        }
        long nameLength = buffer.getInt() & 0xffffffffL;
        if (nameLength > buffer.remaining() - 2) {
            return Optional.empty();
        }
        byte[] name = new byte[(int) nameLength];
        buffer.get(name);
        int count = Short.toUnsignedInt(buffer.getShort());
        if (buffer.remaining() != 2 * count) {
            return Optional.empty();
        }
        List<Integer> types = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            types.add(Short.toUnsignedInt(buffer.getShort()));
        }
        return Optional.of(new NbdExportQuery(new String(name, StandardCharsets.UTF_8), types));
    }

    /** The data of one NBD_REP_SERVER reply to NBD_OPT_LIST. */
    static byte[] encodeServerEntry(String exportName) {
        byte[] name = utf8(exportName);
        return ByteBuffer.allocate(4 + name.length).putInt(name.length).put(name).array();
    }

    static String decodeServerEntry(byte[] data) {
        if (data.length < 4) {
            throw new IllegalArgumentException("server entry of " + data.length + " bytes has no name length");
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        int length = buffer.getInt();
        if (length < 0 || length > buffer.remaining()) {
            throw new IllegalArgumentException("server entry name length " + length + " exceeds its data");
        }
        return new String(data, 4, length, StandardCharsets.UTF_8);
    }

    static byte[] encodeInfo(NbdInfo info) {
        return switch (info) {
            case NbdInfo.Export export -> ByteBuffer.allocate(12).putShort((short) INFO_EXPORT)
                    .putLong(export.size()).putShort((short) export.transmissionFlags()).array();
            case NbdInfo.BlockSize sizes -> ByteBuffer.allocate(14).putShort((short) INFO_BLOCK_SIZE)
                    .putInt(sizes.minimum()).putInt(sizes.preferred()).putInt(sizes.maximum()).array();
            case NbdInfo.Name name -> typedText(INFO_NAME, name.name());
            case NbdInfo.Description description -> typedText(INFO_DESCRIPTION, description.description());
            case NbdInfo.Other other -> ByteBuffer.allocate(2 + other.payload().length)
                    .putShort((short) other.type()).put(other.payload()).array();
        };
    }

    static NbdInfo decodeInfo(byte[] data) {
        if (data.length < 2) {
            throw new IllegalArgumentException("info of " + data.length + " bytes has no type");
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        int type = Short.toUnsignedInt(buffer.getShort());
        return switch (type) {
            case INFO_EXPORT -> {
                requireRemaining(buffer, 10, type);
                yield new NbdInfo.Export(buffer.getLong(), Short.toUnsignedInt(buffer.getShort()));
            }
            case INFO_BLOCK_SIZE -> {
                requireRemaining(buffer, 12, type);
                yield new NbdInfo.BlockSize(buffer.getInt(), buffer.getInt(), buffer.getInt());
            }
            case INFO_NAME -> new NbdInfo.Name(remainingText(buffer));
            case INFO_DESCRIPTION -> new NbdInfo.Description(remainingText(buffer));
            default -> {
                byte[] payload = new byte[buffer.remaining()];
                buffer.get(payload);
                yield new NbdInfo.Other(type, payload);
            }
        };
    }

    /** The server's answer to NBD_OPT_EXPORT_NAME, which ends negotiation. */
    static void writeExportNameReply(DataOutput out, NbdInfo.Export export, boolean noZeroes) throws IOException {
        out.writeLong(export.size());
        out.writeShort(export.transmissionFlags());
        if (!noZeroes) {
            out.write(new byte[EXPORT_NAME_REPLY_PADDING]);
        }
    }

    static NbdInfo.Export readExportNameReply(DataInput in, boolean noZeroes) throws IOException {
        NbdInfo.Export export = new NbdInfo.Export(in.readLong(), in.readUnsignedShort());
        if (!noZeroes) {
            in.readFully(new byte[EXPORT_NAME_REPLY_PADDING]);
        }
        return export;
    }

    static void writeRequest(DataOutput out, NbdRequest request) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(REQUEST_HEADER_BYTES);
        encodeRequest(header, request);
        out.write(header.array());
    }

    /** Puts a request header at {@code buffer}'s position (big-endian, as every NBD field). */
    static void encodeRequest(ByteBuffer buffer, NbdRequest request) {
        buffer.putInt(REQUEST_MAGIC)
                .putShort((short) request.flags())
                .putShort((short) request.type())
                .putLong(request.cookie())
                .putLong(request.offset())
                .putInt((int) request.length());
    }

    static NbdRequest readRequest(DataInput in) throws IOException {
        byte[] header = new byte[REQUEST_HEADER_BYTES];
        in.readFully(header);
        return decodeRequest(ByteBuffer.wrap(header));
    }

    /** Takes a request header ({@link #REQUEST_HEADER_BYTES}) from {@code buffer}'s position. */
    static NbdRequest decodeRequest(ByteBuffer buffer) throws NbdProtocolException {
        int magic = buffer.getInt();
        if (magic != REQUEST_MAGIC) {
            throw new NbdProtocolException("bad request magic 0x" + Integer.toHexString(magic));
        }
        int flags = Short.toUnsignedInt(buffer.getShort());
        int type = Short.toUnsignedInt(buffer.getShort());
        long cookie = buffer.getLong();
        long offset = buffer.getLong();
        long length = buffer.getInt() & 0xffffffffL;
        return new NbdRequest(flags, type, cookie, offset, length);
    }

    /** Writes a simple reply header followed by {@code length} bytes of read data (0 for none). */
    static void writeSimpleReply(DataOutput out, SimpleReply reply, byte[] data, int offset, int length)
            throws IOException {
        ByteBuffer header = ByteBuffer.allocate(SIMPLE_REPLY_HEADER_BYTES);
        encodeSimpleReply(header, reply);
        out.write(header.array());
        out.write(data, offset, length);
    }

    /** Puts a simple reply header at {@code buffer}'s position; a successful read's data goes right after it. */
    static void encodeSimpleReply(ByteBuffer buffer, SimpleReply reply) {
        buffer.putInt(SIMPLE_REPLY_MAGIC).putInt(reply.error()).putLong(reply.cookie());
    }

    static SimpleReply readSimpleReply(DataInput in) throws IOException {
        byte[] header = new byte[SIMPLE_REPLY_HEADER_BYTES];
        in.readFully(header);
        return decodeSimpleReply(ByteBuffer.wrap(header));
    }

    /** Takes a simple reply header ({@link #SIMPLE_REPLY_HEADER_BYTES}) from {@code buffer}'s position. */
    static SimpleReply decodeSimpleReply(ByteBuffer buffer) throws NbdProtocolException {
        int magic = buffer.getInt();
        if (magic != SIMPLE_REPLY_MAGIC) {
            throw new NbdProtocolException("bad reply magic 0x" + Integer.toHexString(magic));
        }
        return new SimpleReply(buffer.getInt(), buffer.getLong());
    }

    /** A command's name for log messages. */
    static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_DISC -> "DISC";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            default -> "command " + type;
        };
    }

    private static byte[] typedText(int type, String text) {
        byte[] bytes = utf8(text);
        return ByteBuffer.allocate(2 + bytes.length).putShort((short) type).put(bytes).array();
    }

    private static String remainingText(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static void requireRemaining(ByteBuffer buffer, int bytes, int type) {
        if (buffer.remaining() != bytes) {
            throw new IllegalArgumentException("info type " + type + " has " + buffer.remaining()
                    + " payload bytes, expected " + bytes);
        }
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
