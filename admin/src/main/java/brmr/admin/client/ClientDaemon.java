package brmr.admin.client;

import brmr.admin.daemon.Daemon;
import brmr.admin.daemon.DaemonOptions;
import brmr.admin.daemon.JournalRestore;
import brmr.admin.metrics.ClientMetrics;
import brmr.admin.metrics.MetricsServer;
import brmr.admin.nbd.NbdTlsMode;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.tls.TransportSecurity;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** {@code brmr-client}: the compute-client daemon; serves mapped pools as NBD exports. */
public final class ClientDaemon {
    private static final String PROGRAM = "brmr-client";

    private ClientDaemon() {
    }

    private static final String DEFAULT_NBD = "127.0.0.1:10809";
    private static final List<DaemonOptions.Option> OPTIONS = Stream.concat(Stream.of(
            new DaemonOptions.Option("state-dir", "DIR", "state directory: log, default socket (default /var/lib/brmr/"
                    + PROGRAM + ")"),
            new DaemonOptions.Option("socket", "PATH", "control socket for brmrctl (default STATE-DIR/control.sock)"),
            new DaemonOptions.Option("nbd", "HOST:PORT", "where mapped devices are served over NBD (default "
                    + DEFAULT_NBD + ")"),
            new DaemonOptions.Option("peer-timeout", "SECONDS", "a storage node silent this long is failed, 1..300 "
                    + "(default " + PeerTimeout.DEFAULT.toSeconds() + ")"),
            DaemonOptions.restoreOption(),
            MetricsServer.OPTION,
            DaemonOptions.SECRET_FILE,
            DaemonOptions.INSECURE,
            new DaemonOptions.Option("nbd-tls", "off|optional|require", "NBD_OPT_STARTTLS on the export with the "
                    + "--tls-* credentials (default off)")), DaemonOptions.TLS_OPTIONS.stream()).toList();

    public static void main(String[] args) {
        DaemonOptions options = DaemonOptions.fromCommandLine(PROGRAM, "The compute-client daemon: its pools' legs to "
                + "the storage nodes, and the mapped devices over NBD.", args, OPTIONS);
        InetSocketAddress nbd;
        PeerTimeout peerTimeout;
        boolean restore;
        Optional<InetSocketAddress> metricsAt;
        TransportSecurity security;
        NbdTlsMode nbdTls;
        SessionSecret secret;
        try {
            restore = options.restore();
            nbd = options.address("nbd", DEFAULT_NBD);
            secret = options.secret();
            peerTimeout = options.peerTimeout();
            metricsAt = options.optionalAddress(MetricsServer.OPTION.name());
            security = options.transportSecurity();
            nbdTls = options.nbdTls(security);
            if (nbdTls != NbdTlsMode.REQUIRE) {
                // without required TLS client certificates, whoever reaches the export reads and writes the device
                options.requireLoopback("nbd", nbd, "NBD clients authenticate only with --nbd-tls require; a "
                        + "non-loopback address needs that or --" + DaemonOptions.INSECURE.name()
                        + " (anyone who reaches it reads and writes the device)");
            }
        } catch (DaemonOptions.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Daemon daemon = Daemon.start(PROGRAM, options.stateDir());
            JournalRestore journal = JournalRestore.open(options.stateDir(), restore);
            ClientNode node = new ClientNode(nbd, peerTimeout, ClientIdentity.loadOrCreate(options.stateDir()),
                    security, secret, nbdTls, journal.journal());
            node.start();
            daemon.closeOnStop(node);
            daemon.closeOnStop(journal);
            node.restored(journal.replay(node.tree()));
            String metrics = MetricsServer.startIfAsked(metricsAt, daemon, new ClientMetrics(node.pools()));
            daemon.events(new ClientStates(node));
            daemon.serveUntilStopped(options.socket(), node.tree(), node::status,
                    "nbd=" + node.nbdAddress().getHostString() + ":" + node.nbdAddress().getPort() + metrics);
        } catch (IOException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
