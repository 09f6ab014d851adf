package brmr.admin.server;

import brmr.admin.client.SessionPath;
import brmr.admin.daemon.Daemon;
import brmr.admin.daemon.DaemonOptions;
import brmr.admin.daemon.JournalRestore;
import brmr.admin.metrics.MetricsServer;
import brmr.admin.metrics.StorageMetrics;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.server.PoolServer;
import brmr.rmr.server.SyncSettings;
import brmr.rmr.tls.TransportSecurity;
import brmr.device.BlockDevice;
import brmr.metadata.BitmapWrites;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.tinylog.Logger;

/** {@code brmr-server}: the storage daemon of one storage node. */
public final class StorageDaemon {
    private static final String PROGRAM = "brmr-server";
    private static final String DEFAULT_LISTEN = "127.0.0.1:" + SessionPath.DEFAULT_PORT;

    private StorageDaemon() {
    }

    private static final List<DaemonOptions.Option> OPTIONS = Stream.concat(Stream.of(
            new DaemonOptions.Option("state-dir", "DIR", "state directory: log, default socket (default /var/lib/brmr/"
                    + PROGRAM + ")"),
            new DaemonOptions.Option("socket", "PATH", "control socket for brmrctl (default STATE-DIR/control.sock)"),
            new DaemonOptions.Option("listen", "HOST:PORT", "TCP address for sessions (default " + DEFAULT_LISTEN
                    + ")"),
            new DaemonOptions.Option("direct-io", "auto|on|off", "O_DIRECT on the disks (default auto: on block "
                    + "devices)"),
            new DaemonOptions.Option("sync-queue-depth", "N", "chunk requests in flight per sync, 1..512 (default "
                    + SyncSettings.DEFAULT.queueDepth() + ")"),
            new DaemonOptions.Option("sync-rate-mib", "N", "sync and verify rate limit in MiB/s (default 0: none)"),
            new DaemonOptions.Option("peer-timeout", "SECONDS", "a peer silent this long is failed, 1..300 (default "
                    + PeerTimeout.DEFAULT.toSeconds() + ")"),
            DaemonOptions.restoreOption(),
            MetricsServer.OPTION,
            DaemonOptions.SECRET_FILE,
            DaemonOptions.INSECURE), DaemonOptions.TLS_OPTIONS.stream()).toList();

    public static void main(String[] args) {
        DaemonOptions options = DaemonOptions.fromCommandLine(PROGRAM, "The storage daemon of one storage node: its "
                + "server pools, stores and sync sessions.", args, OPTIONS);
        SyncSettings sync;
        BlockDevice.DirectIo directIo;
        BitmapWrites bitmapWrites;
        InetSocketAddress listen;
        PeerTimeout peerTimeout;
        boolean restore;
        Optional<InetSocketAddress> metricsAt;
        TransportSecurity security;
        SessionSecret secret;
        try {
            restore = options.restore();
            directIo = options.directIo();
            bitmapWrites = options.bitmapWrites();
            listen = options.address("listen", DEFAULT_LISTEN);
            secret = options.secret();
            peerTimeout = options.peerTimeout();
            metricsAt = options.optionalAddress(MetricsServer.OPTION.name());
            security = options.transportSecurity();
            options.requireLoopbackOrSecret("listen", listen, secret, security);
            sync = new SyncSettings(
                    (int) options.number("sync-queue-depth", SyncSettings.DEFAULT.queueDepth(), 1, 512),
                    (int) options.number("sync-rate-mib", 0, 0, 1 << 20));
        } catch (DaemonOptions.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Daemon daemon = Daemon.start(PROGRAM, options.stateDir());
            JournalRestore journal = JournalRestore.open(options.stateDir(), restore);
            Logger.info("dirty maps are persisted by {} (-D{})", bitmapWrites.label(), DaemonOptions.BITMAP_WRITES);
            StorageNode node = new StorageNode(directIo, bitmapWrites, sync, peerTimeout, security, secret,
                    journal.journal());
            daemon.closeOnStop(node.syncPools());
            // closed after the sessions: a store is drained of IO in flight before its descriptor closes
            daemon.closeOnStop(node);
            PoolServer sessions = PoolServer.start(listen, node.pools(), security, secret);
            daemon.closeOnStop(sessions);
            daemon.closeOnStop(journal);
            node.restored(journal.replay(node.tree()));
            String metrics = MetricsServer.startIfAsked(metricsAt, daemon,
                    new StorageMetrics(node.pools(), node.syncPools(), node.stores()));
            daemon.events(new StorageStates(node));
            daemon.serveUntilStopped(options.socket(), node.tree(), node::status,
                    "listen=" + sessions.address().getHostString() + ":" + sessions.address().getPort() + metrics);
        } catch (IOException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
