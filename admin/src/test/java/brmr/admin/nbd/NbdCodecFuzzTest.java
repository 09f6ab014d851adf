package brmr.admin.nbd;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import brmr.admin.fuzz.Mutations;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the NBD parsers a server runs on what a client sends (the handshake's client
 * flags and options, transmission requests) and of the option replies a client parses: only the
 * documented exceptions escape (IOException from the stream readers, IllegalArgumentException from
 * the info and server-entry decoders); query decoding never throws.
 */
class NbdCodecFuzzTest {
    private static final int CASES = 100_000;

    @Test
    void mutatedHandshakesEndInOptionsOrAnIoException() throws IOException {
        List<byte[]> handshakes = List.of(
                handshake(new NbdOption(NbdCodec.OPT_GO, NbdCodec.encodeExportQuery(
                        new NbdExportQuery("export", List.of(NbdCodec.INFO_BLOCK_SIZE, NbdCodec.INFO_NAME))))),
                handshake(new NbdOption(NbdCodec.OPT_LIST, new byte[0]),
                        new NbdOption(NbdCodec.OPT_INFO, NbdCodec.encodeExportQuery(new NbdExportQuery("", List.of()))),
                        new NbdOption(NbdCodec.OPT_EXPORT_NAME, NbdCodec.utf8("brmr0"))),
                handshake(new NbdOption(NbdCodec.OPT_ABORT, new byte[0])));
        Random random = new Random(Mutations.SEED);
        int options = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] input = Mutations.mutate(handshakes.get(random.nextInt(handshakes.size())), random);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(input));
            try {
                NbdCodec.readClientFlags(in);
                while (true) {
                    NbdOption option = NbdCodec.readOption(in, NbdNegotiation.MAXIMUM_OPTION_LENGTH);
                    options++;
                    if (option.code() == NbdCodec.OPT_GO || option.code() == NbdCodec.OPT_INFO) {
                        assertNotNull(NbdCodec.decodeExportQuery(option.data()));
                    } else if (option.code() == NbdCodec.OPT_EXPORT_NAME) {
                        assertNotNull(NbdCodec.decodeExportName(option.data()));
                    }
                }
            } catch (IOException e) {
                // documented: EOFException at the end of the bytes, NbdProtocolException for a broken option
            } catch (Throwable e) {
                fail(Mutations.replay(i, input, e), e);
            }
        }
        assertTrue(options > CASES / 2, "only " + options + " options parsed: the mutations broke everything");
    }

    @Test
    void mutatedRequestStreamsEndInRequestsOrAnIoException() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        NbdCodec.writeRequest(out, new NbdRequest(NbdCodec.CMD_FLAG_FUA, NbdCodec.CMD_WRITE, 1, 4096, 8));
        out.write(new byte[8]);
        NbdCodec.writeRequest(out, new NbdRequest(0, NbdCodec.CMD_READ, -1, Long.MAX_VALUE, 0xffffffffL));
        NbdCodec.writeRequest(out, new NbdRequest(0, NbdCodec.CMD_WRITE_ZEROES, 3, 0, 1 << 20));
        NbdCodec.writeRequest(out, new NbdRequest(0, NbdCodec.CMD_DISC, 4, 0, 0));
        byte[] stream = bytes.toByteArray();
        Random random = new Random(Mutations.SEED + 1);
        int requests = 0;
        for (int i = 0; i < CASES; i++) {
            byte[] input = Mutations.mutate(stream, random);
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(input));
            try {
                while (true) {
                    NbdRequest request = NbdCodec.readRequest(in);
                    requests++;
                    if (request.type() == NbdCodec.CMD_WRITE && request.length() <= NbdBlockSizes.MAXIMUM_PAYLOAD) {
                        in.skipNBytes(request.length());
                    }
                }
            } catch (IOException e) {
                // documented: EOFException at the end, NbdProtocolException for a bad magic
            } catch (Throwable e) {
                fail(Mutations.replay(i, input, e), e);
            }
        }
        assertTrue(requests > CASES / 2, "only " + requests + " requests parsed: the mutations broke everything");
    }

    @Test
    void mutatedOptionRepliesEndInInfoOrADocumentedException() throws IOException {
        List<byte[]> replies = List.of(
                optionReply(NbdCodec.REP_INFO, NbdCodec.encodeInfo(new NbdInfo.Export(1L << 30, 0x3f))),
                optionReply(NbdCodec.REP_INFO, NbdCodec.encodeInfo(new NbdInfo.BlockSize(512, 4096, 1 << 25))),
                optionReply(NbdCodec.REP_INFO, NbdCodec.encodeInfo(new NbdInfo.Name("brmr0"))),
                optionReply(NbdCodec.REP_SERVER, NbdCodec.encodeServerEntry("brmr0")));
        Random random = new Random(Mutations.SEED + 2);
        for (int i = 0; i < CASES; i++) {
            byte[] input = Mutations.mutate(replies.get(random.nextInt(replies.size())), random);
            try {
                NbdCodec.OptionReply reply = NbdCodec.readOptionReply(
                        new DataInputStream(new ByteArrayInputStream(input)), 1 << 16);
                if (reply.type() == NbdCodec.REP_SERVER) {
                    NbdCodec.decodeServerEntry(reply.data());
                } else {
                    NbdCodec.decodeInfo(reply.data());
                }
            } catch (IOException | IllegalArgumentException e) {
                // documented
            } catch (Throwable e) {
                fail(Mutations.replay(i, input, e), e);
            }
        }
    }

    private static byte[] handshake(NbdOption... options) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        NbdCodec.writeClientFlags(out, NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE | NbdCodec.CLIENT_FLAG_NO_ZEROES);
        for (NbdOption option : options) {
            NbdCodec.writeOption(out, option);
        }
        return bytes.toByteArray();
    }

    private static byte[] optionReply(int type, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        NbdCodec.writeOptionReply(new DataOutputStream(bytes), NbdCodec.OPT_GO, type, data);
        return bytes.toByteArray();
    }
}
