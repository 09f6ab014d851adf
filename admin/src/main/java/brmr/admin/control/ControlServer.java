package brmr.admin.control;

import brmr.admin.events.EventFeed;
import brmr.admin.events.StateSnapshot;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.tinylog.Logger;

/** Serves a daemon's control files on a Unix domain socket that only its owner may use. */
public final class ControlServer implements AutoCloseable {
    /** File-type bits of a stat mode, and the type of a socket (POSIX). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path socket;
    private final ControlTree tree;
    private final Supplier<String> status;
    /** The daemon's objects for {@code events}; null when it serves none. */
    private final Supplier<StateSnapshot> states;
    /** Connections streaming events, closed when the server closes; a concurrent set. */
    private final Set<SocketChannel> streams = ConcurrentHashMap.newKeySet();
    private ServerSocketChannel channel;
    private Thread acceptor;

    public ControlServer(Path socket, ControlTree tree, Supplier<String> status) {
        this(socket, tree, status, null);
    }

    public ControlServer(Path socket, ControlTree tree, Supplier<String> status, Supplier<StateSnapshot> states) {
        this.socket = socket;
        this.tree = tree;
        this.status = status;
        this.states = states;
    }

    /** Binds the socket, refusing one that a live daemon still answers on and any file that is not a socket. */
    public void start() throws IOException {
        if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(socket)) {
                throw new IOException("--socket " + socket + ": exists and is not a socket; refusing to replace it");
            }
            if (ControlClient.answers(socket)) {
                throw new IOException("another daemon is already serving " + socket);
            }
            Files.delete(socket);
        }
        Files.createDirectories(socket.toAbsolutePath().getParent());
        channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        channel.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        acceptor = Thread.ofVirtual().name("control-accept").start(this::acceptLoop);
    }

    private static boolean isSocket(Path path) throws IOException {
        int mode = (int) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return (mode & S_IFMT) == S_IFSOCK;
    }

    private void acceptLoop() {
        while (true) {
            SocketChannel client;
            try {
                client = channel.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                Logger.warn("control socket {}: accept failed: {}", socket, e.getMessage());
                return;
            }
            Thread.ofVirtual().name("control").start(() -> serve(client));
        }
    }

    private void serve(SocketChannel client) {
        try (client;
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(client),
                        StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(client)) {
            String line;
            Thread feed = null;
            try {
                while ((line = in.readLine()) != null) {
                    if (feed != null) {
                        // an events stream only goes out; reading on tells when the subscriber leaves
                        continue;
                    }
                    if (states != null && isEvents(line)) {
                        feed = stream(client, out);
                        continue;
                    }
                    ControlCodec.Response response = handle(line);
                    out.write((ControlCodec.encode(response) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } finally {
                if (feed != null) {
                    feed.interrupt();
                }
            }
        } catch (IOException e) {
            Logger.debug("control connection ended: {}", e.getMessage());
        }
    }

    private static boolean isEvents(String line) {
        try {
            return ControlCodec.decodeRequest(line).op().equals("events");
        } catch (ControlException e) {
            return false;
        }
    }

    /** Streams events to the connection until the subscriber leaves or the server closes. */
    private Thread stream(SocketChannel client, OutputStream out) {
        streams.add(client);
        return Thread.ofVirtual().name("control-events").start(() -> {
            try {
                EventFeed.run(states, event -> {
                    out.write((ControlCodec.encode(event) + "\n").getBytes(StandardCharsets.UTF_8));
                    out.flush();
                });
            } catch (IOException e) {
                Logger.debug("events stream ended: {}", e.getMessage());
            } catch (RuntimeException e) {
                Logger.error(e, "events stream failed");
                // the subscriber sees its stream end rather than wait on a silent one
                closeQuietly(client);
            } finally {
                streams.remove(client);
            }
        });
    }

    private static void closeQuietly(SocketChannel client) {
        try {
            client.close();
        } catch (IOException e) {
            Logger.debug("closing an events stream: {}", e.getMessage());
        }
    }

    private ControlCodec.Response handle(String line) {
        try {
            ControlCodec.Request request = ControlCodec.decodeRequest(line);
            String output = switch (request.op()) {
                case "read" -> tree.read(required(request.path(), "path"));
                case "write" -> {
                    String result = tree.write(required(request.path(), "path"), required(request.value(), "value"));
                    Logger.info("control: write {} '{}'", request.path(), request.value().strip());
                    yield result;
                }
                case "list" -> String.join("\n", tree.list(request.path() == null ? "" : request.path()));
                case "status" -> status.get();
                case "events" -> throw new ControlException("op", "this daemon streams no events");
                default -> throw new ControlException("op", "'" + request.op()
                        + "' is not read, write, list, status or events");
            };
            return ControlCodec.Response.success(output);
        } catch (ControlException e) {
            Logger.info("control: refused: {}", e.getMessage());
            return ControlCodec.Response.failure(e.getMessage());
        } catch (RuntimeException e) {
            Logger.error(e, "control: failed on {}", line);
            return ControlCodec.Response.failure("internal: " + e);
        }
    }

    private static String required(String value, String field) throws ControlException {
        if (value == null) {
            throw new ControlException(field, "missing");
        }
        return value;
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            Files.deleteIfExists(socket);
        }
        for (SocketChannel stream : streams) {
            stream.close();
        }
        if (acceptor != null) {
            try {
                acceptor.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
