package brmr.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Connections that send a few bytes and then wait, as an attacker's would, until the peer closes
 * them; {@link #close()} closes whatever is left.
 */
final class HostileConnections implements AutoCloseable {
    /** Written by the test thread only. */
    private final List<Socket> sockets = new ArrayList<>();

    /** Connects and sends {@code bytes}; a peer that refuses the connection at once still counts. */
    void open(InetSocketAddress address, byte[] bytes) throws IOException {
        Socket socket = new Socket(address.getAddress(), address.getPort());
        sockets.add(socket);
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        } catch (SocketException e) {
            // the peer closed it already (e.g. over its connection cap): what the test waits for anyway
        }
    }

    int count() {
        return sockets.size();
    }

    /** Waits up to {@code limit} for the peers to close every connection; returns how many are still open. */
    int openAfter(Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        int open = 0;
        byte[] sink = new byte[4096];
        for (Socket socket : sockets) {
            if (!closedByPeer(socket, sink, deadline)) {
                open++;
            }
        }
        return open;
    }

    private static boolean closedByPeer(Socket socket, byte[] sink, long deadline) throws IOException {
        InputStream in = socket.getInputStream();
        while (true) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
            try {
                if (in.read(sink) == -1) {
                    return true;
                }
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true;
            }
        }
    }

    @Override
    public void close() {
        for (Socket socket : sockets) {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
