package brmr.admin.nbd;

import brmr.rmr.tls.TransportSecurity;
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

    private final NbdStreams streams;
    private final ExportLookup exports;
    private final String peer;
    private final NbdTlsMode tlsMode;
    private final TransportSecurity security;
    private boolean fixedNewstyle;
    private boolean noZeroes;

    NbdNegotiation(NbdStreams streams, ExportLookup exports, String peer, NbdTlsMode tlsMode,
            TransportSecurity security) {
        this.streams = streams;
        this.exports = exports;
        this.peer = peer;
        this.tlsMode = tlsMode;
        this.security = security;
    }

    /** Returns the export to serve, or empty when the client ended the session during negotiation. */
    Optional<NegotiatedExport> run() throws IOException {
        NbdCodec.writeGreeting(streams.out(), NbdCodec.FLAG_FIXED_NEWSTYLE | NbdCodec.FLAG_NO_ZEROES);
        streams.out().flush();
        int clientFlags = NbdCodec.readClientFlags(streams.in());
        int known = NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE | NbdCodec.CLIENT_FLAG_NO_ZEROES;
        if ((clientFlags & ~known) != 0) {
            throw new NbdProtocolException("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        fixedNewstyle = (clientFlags & NbdCodec.CLIENT_FLAG_FIXED_NEWSTYLE) != 0;
        noZeroes = (clientFlags & NbdCodec.CLIENT_FLAG_NO_ZEROES) != 0;
        if (tlsMode == NbdTlsMode.REQUIRE && !fixedNewstyle) {
            // TLS needs fixed newstyle, and this server serves nothing without TLS
            Logger.warn("NBD client {} does not speak fixed newstyle, so it cannot start the TLS this export "
                    + "requires; closing", peer);
            return Optional.empty();
        }
        while (true) {
            NbdOption option = NbdCodec.readOption(streams.in(), MAXIMUM_OPTION_LENGTH);
            if (tlsMode == NbdTlsMode.REQUIRE && !streams.isTls() && option.code() != NbdCodec.OPT_STARTTLS
                    && option.code() != NbdCodec.OPT_ABORT) {
                if (option.code() == NbdCodec.OPT_EXPORT_NAME) {
                    // NBD_OPT_EXPORT_NAME has no error reply: the spec says to end the session
                    Logger.warn("NBD client {} chose an export without TLS, which this server requires; closing",
                            peer);
                    return Optional.empty();
                }
                error(option, NbdCodec.REP_ERR_TLS_REQD, "this server requires TLS: send NBD_OPT_STARTTLS first");
                continue;
            }
            switch (option.code()) {
                case NbdCodec.OPT_EXPORT_NAME -> {
                    return exportName(option);
                }
                case NbdCodec.OPT_ABORT -> {
                    abort(option);
                    return Optional.empty();
                }
                case NbdCodec.OPT_LIST -> list(option);
                case NbdCodec.OPT_STARTTLS -> startTls(option);
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
        NbdCodec.writeExportNameReply(streams.out(), negotiated.exportInfo(), noZeroes);
        streams.out().flush();
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
                NbdCodec.writeOptionReply(streams.out(), option.code(), NbdCodec.REP_SERVER, NbdCodec.encodeServerEntry(name));
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

    private void startTls(NbdOption option) throws IOException {
        if (tlsMode == NbdTlsMode.OFF || !fixedNewstyle) {
            unsupported(option);
        } else if (streams.isTls()) {
            error(option, NbdCodec.REP_ERR_INVALID, "TLS is already in use");
        } else if (option.data().length != 0) {
            error(option, NbdCodec.REP_ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
        } else {
            reply(option, NbdCodec.REP_ACK, NO_DATA);
            // require: only holders of a certificate the CA signed may use the export; optional: checked if shown
            streams.startTls(security, tlsMode == NbdTlsMode.REQUIRE ? TransportSecurity.ClientCertificate.REQUIRED
                    : TransportSecurity.ClientCertificate.VERIFIED_IF_PRESENTED);
            Logger.info("NBD client {} switched to TLS", peer);
        }
    }

    private void unsupported(NbdOption option) throws IOException {
        if (!fixedNewstyle) {
            throw new NbdProtocolException("option " + option.code() + " from a client without fixed newstyle");
        }
        Logger.debug("NBD client {} sent unsupported option {}", peer, option.code());
        error(option, NbdCodec.REP_ERR_UNSUP, "option " + option.code() + " is not supported");
    }

    private void info(NbdOption option, NbdInfo info) throws IOException {
        NbdCodec.writeOptionReply(streams.out(), option.code(), NbdCodec.REP_INFO, NbdCodec.encodeInfo(info));
    }

    private void error(NbdOption option, int errorType, String message) throws IOException {
        reply(option, errorType, NbdCodec.utf8(message));
    }

    private void reply(NbdOption option, int replyType, byte[] data) throws IOException {
        NbdCodec.writeOptionReply(streams.out(), option.code(), replyType, data);
        streams.out().flush();
    }
}
