package brmr.admin.client;

import brmr.admin.daemon.Daemon;
import brmr.admin.daemon.DaemonOptions;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.PeerTimeout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/** {@code brmr-client}: the compute-client daemon; serves mapped pools as NBD exports. */
public final class ClientDaemon {
    private static final String PROGRAM = "brmr-client";

    private ClientDaemon() {
    }

    private static final String DEFAULT_NBD = "127.0.0.1:10809";
    private static final List<DaemonOptions.Option> OPTIONS = List.of(
            new DaemonOptions.Option("state-dir", "DIR", "state directory: log, default socket (default /var/lib/brmr/"
                    + PROGRAM + ")"),
            new DaemonOptions.Option("socket", "PATH", "control socket for brmrctl (default STATE-DIR/control.sock)"),
            new DaemonOptions.Option("nbd", "HOST:PORT", "where mapped devices are served over NBD (default "
                    + DEFAULT_NBD + ")"),
            new DaemonOptions.Option("peer-timeout", "SECONDS", "a storage node silent this long is failed, 1..300 "
                    + "(default " + PeerTimeout.DEFAULT.toSeconds() + ")"),
            DaemonOptions.SECRET_FILE,
            DaemonOptions.INSECURE);

    public static void main(String[] args) {
        DaemonOptions options = DaemonOptions.fromCommandLine(PROGRAM, "The compute-client daemon: its pools' legs to "
                + "the storage nodes, and the mapped devices over NBD.", args, OPTIONS);
        InetSocketAddress nbd;
        PeerTimeout peerTimeout;
        SessionSecret secret;
        try {
            nbd = options.address("nbd", DEFAULT_NBD);
            secret = options.secret();
            // NBD clients do not know the secret: the export itself is open to whoever reaches it
            options.requireLoopback("nbd", nbd, "NBD clients do not authenticate, a non-loopback address needs --"
                    + DaemonOptions.INSECURE.name() + " (anyone who reaches it reads and writes the device)");
            peerTimeout = options.peerTimeout();
        } catch (DaemonOptions.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Daemon daemon = Daemon.start(PROGRAM, options.stateDir());
            ClientNode node = new ClientNode(nbd, peerTimeout, ClientIdentity.loadOrCreate(options.stateDir()), secret);
            node.start();
            daemon.closeOnStop(node);
            daemon.serveUntilStopped(options.socket(), node.tree(), node::status,
                    "nbd=" + node.nbdAddress().getHostString() + ":" + node.nbdAddress().getPort());
        } catch (IOException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
