package brmr.admin.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.tinylog.Logger;

/** The handshake and option haggling of one connection, up to the choice of an export. */
final class NbdNegotiation {
    /** Export names are at most 4096 bytes, so no sensible option comes near this. */
    static final int MAXIMUM_OPTION_LENGTH = 64 * 1024;
    private static final byte[] NO_DATA = new byte[0];

    private final DataInputStream in;
    private final DataOutputStream out;
    private final ExportLookup exports;
    private final String peer;
    private boolean fixedNewstyle;
    private boolean noZeroes;

    NbdNegotiation(DataInputStream in, DataOutputStream out, ExportLookup exports, String peer) {
        this.in = in;
        this.out = out;
        this.exports = exports;
        this.peer = peer;
    }

    /** Returns the export to serve, or empty when the client ended the session during negotiation. */
    Optional<NegotiatedExport> run() throws IOException {
        NbdCodec.writeGreeting(out, NbdCodec.FLAG_FIXED_NEWSTYLE | NbdCodec.FLAG_NO_ZEROES);
        out.flush();
        int clientFlags = NbdCodec.readClientFlags(in);
        int known = NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE | NbdCodec.CLIENT_FLAG_NO_ZEROES;
        if ((clientFlags & ~known) != 0) {
            throw new NbdProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        fixedNewstyle = (clientFlags & NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE) != 0;
        noZeroes = (clientFlags & NbdCodec.CLIENT_FLAG_NO_ZEROES) != 0;
        while (true) {
            NbdOption option = NbdCodec.readOption(in, MAXIMUM_OPTION_LENGTH);
            switch (option.code()) {
                case NbdCodec.OPT_EXPORT_NAME -> {
                    return exportName(option);
                }
                case NbdCodec.OPT_ABORT -> {
                    abort(option);
                    return Optional.empty();
                }
                case NbdCodec.OPT_LIST -> list(option);
                case NbdCodec.OPT_INFO -> query(option, false);
                case NbdCodec.OPT_GO -> {
                    Optional<NegotiatedExport> chosen = query(option, true);
                    if (chosen.isPresent()) {
                        return chosen;
                    }
                }
                default -> unsupported(option);
            }
        }
    }

    private Optional<NegotiatedExport> exportName(NbdOption option) throws IOException {
        String name = NbdCodec.decodeExportName(option.data());
        Optional<NbdExport> export = exports.find(name);
        if (export.isEmpty()) {
            // the old-style option has no error reply: the spec says to drop the connection
            Logger.warn("NBD client {} asked for unknown export '{}' with NBD_OPT_EXPORT_NAME; closing", peer, name);
            return Optional.empty();
        }
        NegotiatedExport negotiated = NegotiatedExport.of(export.get());
        NbdCodec.writeExportNameReply(out, negotiated.exportInfo(), noZeroes);
        out.flush();
        return Optional.of(negotiated);
    }

    private void abort(NbdOption option) {
        Logger.info("NBD client {} aborted negotiation", peer);
        try {
            reply(option, NbdCodec.REP_ACK, NO_DATA);
        } catch (IOException e) {
            // the client may hang up without waiting for the acknowledgement
            Logger.debug("NBD client {} left before the abort was acknowledged: {}", peer, e.getMessage());
        }
    }

    private void list(NbdOption option) throws IOException {
        if (option.data().length != 0) {
            error(option, NbdCodec.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
            return;
        }
        for (NbdExport export : exports.exports()) {
            List<String> names = new ArrayList<>(List.of(export.name()));
            names.addAll(export.aliases());
            for (String name : names) {
                NbdCodec.writeOptionReply(out, option.code(), NbdCodec.REP_SERVER, NbdCodec.encodeServerEntry(name));
            }
        }
        reply(option, NbdCodec.REP_ACK, NO_DATA);
    }

    /** Answers NBD_OPT_INFO or NBD_OPT_GO; returns the export when the reply was a success. */
    private Optional<NegotiatedExport> query(NbdOption option, boolean go) throws IOException {
        Optional<NbdExportQuery> decoded = NbdCodec.decodeExportQuery(option.data());
        if (decoded.isEmpty()) {
            Logger.warn("NBD client {} sent malformed option {}", peer, option.code());
            error(option, NbdCodec.REP_ERR_INVALID, "malformed export query");
            return Optional.empty();
        }
        NbdExportQuery query = decoded.get();
        Optional<NbdExport> export = exports.find(query.name());
        if (export.isEmpty()) {
            Logger.info("NBD client {} asked for unknown export '{}'", peer, query.name());
            error(option, NbdCodec.REP_ERR_UNKNOWN, "no export named '" + query.name() + "'");
            return Optional.empty();
        }
        NegotiatedExport negotiated = NegotiatedExport.of(export.get());
        // block size constraints are always sent: the spec lets servers volunteer them
        info(option, negotiated.blockSizeInfo());
        boolean askedForBlockSizes = query.informationTypes().contains(NbdCodec.INFO_BLOCK_SIZE);
        if (go && !askedForBlockSizes && negotiated.blockSizes().minimum() > NbdBlockSizes.CONVENTIONAL_MINIMUM) {
            error(option, NbdCodec.REP_ERR_BLOCK_SIZE_REQD, "this export needs block size negotiation");
            return Optional.empty();
        }
        if (query.informationTypes().contains(NbdCodec.INFO_NAME)) {
            info(option, new NbdInfo.Name(negotiated.export().name()));
        }
        info(option, negotiated.exportInfo());
        reply(option, NbdCodec.REP_ACK, NO_DATA);
        return Optional.of(negotiated);
    }

    private void unsupported(NbdOption option) throws IOException {
        if (!fixedNewstyle) {
            throw new NbdProtocolException("option " + option.code() + " from a client without fixed newstyle");
        }
        Logger.debug("NBD client {} sent unsupported option {}", peer, option.code());
        error(option, NbdCodec.REP_ERR_UNSUP, "option " + option.code() + " is not supported");
    }

    private void info(NbdOption option, NbdInfo info) throws IOException {
        NbdCodec.writeOptionReply(out, option.code(), NbdCodec.REP_INFO, NbdCodec.encodeInfo(info));
    }

    private void error(NbdOption option, int errorType, String message) throws IOException {
        reply(option, errorType, NbdCodec.utf8(message));
    }

    private void reply(NbdOption option, int replyType, byte[] data) throws IOException {
        NbdCodec.writeOptionReply(out, option.code(), replyType, data);
        out.flush();
    }
}
