package brmr.admin.client;

import brmr.admin.daemon.Daemon;
import brmr.admin.daemon.DaemonOptions;
import brmr.rmr.client.PeerTimeout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/** {@code brmr-client}: the compute-client daemon; serves mapped pools as NBD exports. */
public final class ClientDaemon {
    private static final String PROGRAM = "brmr-client";

    private ClientDaemon() {
    }

    public static void main(String[] args) {
        DaemonOptions options;
        InetSocketAddress nbd;
        PeerTimeout peerTimeout;
        try {
            options = DaemonOptions.parse(PROGRAM, args, List.of("state-dir", "socket", "nbd", "peer-timeout"));
            nbd = options.address("nbd", "127.0.0.1:10809");
            peerTimeout = options.peerTimeout();
        } catch (DaemonOptions.UsageException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        try {
            Daemon daemon = Daemon.start(PROGRAM, options.stateDir());
            ClientNode node = new ClientNode(nbd, peerTimeout, ClientIdentity.loadOrCreate(options.stateDir()));
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
