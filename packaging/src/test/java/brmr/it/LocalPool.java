package brmr.it;

import static brmr.it.Expect.ok;

import brmr.metadata.MetadataLayout;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A pool brought up the way the runbook does it: storage daemons with one store each, a client
 * daemon with one session per node, enabled and mapped; every daemon a separate process.
 */
final class LocalPool implements AutoCloseable {
    /** One storage node: its daemon (replaced on restart), its disk, and its fixed port. */
    static final class Node {
        final int member;
        TestDisk disk;
        final int port;
        final Path stateDir;
        DaemonProcess daemon;

        Node(int member, TestDisk disk, int port, Path stateDir, DaemonProcess daemon) {
            this.member = member;
            this.disk = disk;
            this.port = port;
            this.stateDir = stateDir;
            this.daemon = daemon;
        }

        String session() {
            return "s" + member;
        }
    }

    final String pool;
    final long mappedSize;
    final int chunkSize;
    final List<Node> nodes = new ArrayList<>();
    final List<TestDisk> spareDisks = new ArrayList<>();
    private final Path dir;
    private final String[] serverOptions;
    private final String[] clientOptions;
    DaemonProcess client;

    private LocalPool(Path dir, String pool, long mappedSize, int chunkSize, String[] serverOptions,
            String[] clientOptions) {
        this.dir = dir;
        this.pool = pool;
        this.mappedSize = mappedSize;
        this.chunkSize = chunkSize;
        this.serverOptions = serverOptions;
        this.clientOptions = clientOptions;
    }

    /** How a pool is brought up beyond its size: sync sessions, daemon options, where each leg's disk lives. */
    static final class Setup {
        private final Path dir;
        private final String pool;
        private final int legs;
        private final long mappedSize;
        private final int chunkSize;
        private boolean syncSessions;
        private boolean initialSync;
        private String[] serverOptions = {};
        private String[] clientOptions = {};
        private final Map<Integer, Path> diskDirs = new HashMap<>();
        private Path secretFile;

        private Setup(Path dir, String pool, int legs, long mappedSize, int chunkSize) {
            this.dir = dir;
            this.pool = pool;
            this.legs = legs;
            this.mappedSize = mappedSize;
            this.chunkSize = chunkSize;
        }

        /** Every storage node also joins the sync pool with a sync session to each peer. */
        Setup syncSessions() {
            syncSessions = true;
            return this;
        }

        /**
         * The first map resyncs the new pool from its first leg; without this the test disks, all
         * zeroes, are mapped with {@code assume_clean=1}.
         */
        Setup initialSync() {
            initialSync = true;
            return this;
        }

        /** Options for every brmr-server, also when a node is restarted. */
        Setup serverOptions(String... options) {
            serverOptions = options;
            return this;
        }

        Setup clientOptions(String... options) {
            clientOptions = options;
            return this;
        }

        /**
         * Every daemon authenticates its RMR sessions with one secret, written owner-only to {@code secret}
         * in the pool's directory ({@code --secret-file} after the other options).
         */
        Setup withSecret() throws IOException {
            secretFile = writeSecret(dir.resolve("secret"));
            return this;
        }

        /** The backing file of {@code member}'s disk is created in {@code diskDir} instead of the pool's directory. */
        Setup diskDir(int member, Path diskDir) {
            diskDirs.put(member, diskDir);
            return this;
        }

        LocalPool start() throws IOException {
            return LocalPool.start(this);
        }
    }

    /** A fresh random secret (64 hex digits and a newline) in an owner-only file. */
    static Path writeSecret(Path file) throws IOException {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        Files.writeString(file, HexFormat.of().formatHex(random) + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    static Setup setup(Path dir, String pool, int legs, long mappedSize, int chunkSize) {
        return new Setup(dir, pool, legs, mappedSize, chunkSize);
    }

    /** Bytes a disk needs to hold a store of this pool: metadata area and data area. */
    static long diskBytes(long mappedSize, int chunkSize) {
        return MetadataLayout.forStore(mappedSize, chunkSize).requiredDeviceBytes();
    }

    /** Storage nodes with fresh stores, a client with a session to each, enabled and mapped. */
    static LocalPool start(Path dir, String pool, int legs, long mappedSize, int chunkSize) throws IOException {
        return start(dir, pool, legs, mappedSize, chunkSize, false);
    }

    /**
     * As {@link #start(Path, String, int, long, int)}; with {@code syncSessions} every storage node also
     * joins the sync pool and opens a sync session to each peer. {@code serverOptions} go to every brmr-server.
     */
    static LocalPool start(Path dir, String pool, int legs, long mappedSize, int chunkSize, boolean syncSessions,
            String... serverOptions) throws IOException {
        Setup setup = setup(dir, pool, legs, mappedSize, chunkSize).serverOptions(serverOptions);
        return syncSessions ? setup.syncSessions().start() : setup.start();
    }

    private static LocalPool start(Setup setup) throws IOException {
        String pool = setup.pool;
        int chunkSize = setup.chunkSize;
        long mappedSize = setup.mappedSize;
        String[] serverOptions = withSecret(setup.serverOptions, setup.secretFile);
        String[] clientOptions = withSecret(setup.clientOptions, setup.secretFile);
        LocalPool local = new LocalPool(setup.dir, pool, mappedSize, chunkSize, serverOptions, clientOptions);
        try {
            long diskBytes = diskBytes(mappedSize, chunkSize);
            for (int member = 1; member <= setup.legs; member++) {
                int port = DaemonProcess.freePort();
                Path stateDir = setup.dir.resolve("node" + member);
                TestDisk disk = TestDisk.create(setup.diskDirs.getOrDefault(member, setup.dir), "disk" + member,
                        diskBytes);
                Node node = new Node(member, disk, port, stateDir, DaemonProcess.storage(stateDir, port,
                        serverOptions));
                local.nodes.add(node);
                ok(node.daemon.ctl("write", "/sys/devices/virtual/rmr-server/ctl/join_pool",
                        "poolname=" + pool + " member_id=" + member + " chunk_size=" + chunkSize));
                ok(node.daemon.ctl("write", "/sys/devices/virtual/brmr-server/ctl/create_store",
                        "device=" + disk.path() + " pool=" + pool + " mapped_size=" + mappedSize));
            }
            if (setup.syncSessions) {
                for (Node node : local.nodes) {
                    local.joinSync(node);
                }
            }
            local.client = DaemonProcess.client(setup.dir.resolve("client"), clientOptions);
            ok(local.client.ctl("write", "/sys/devices/virtual/rmr-client/ctl/join_pool",
                    "poolname=" + pool + " chunk_size=" + chunkSize));
            for (Node node : local.nodes) {
                ok(local.client.ctl("write", "/sys/class/rmr-client/pools/" + pool + "/add_sess",
                        "sessname=" + node.session() + " path=ip:127.0.0.1:" + node.port + " mode=create"));
            }
            for (Node node : local.nodes) {
                ok(local.client.ctl("write", "/sys/class/rmr-client/pools/" + pool + "/sessions/" + node.session()
                        + "/enable", "1"));
            }
            ok(local.client.ctl("write", "/sys/devices/virtual/brmr-client/ctl/map_device",
                    "pool=" + pool + " size=" + mappedSize + (setup.initialSync ? "" : " assume_clean=1")));
            return local;
        } catch (IOException | RuntimeException | Error e) {
            local.close();
            throw e;
        }
    }

    private static String[] withSecret(String[] options, Path secretFile) {
        if (secretFile == null) {
            return options;
        }
        List<String> all = new ArrayList<>(List.of(options));
        all.addAll(List.of("--secret-file", secretFile.toString()));
        return all.toArray(String[]::new);
    }

    Node node(int member) {
        return nodes.get(member - 1);
    }

    /** The NBD address of the pool's device, the only one the client maps: {@code brmr0}. */
    String nbdUri() {
        return ok(client.ctl("read", "brmr-client/ctl/devices/brmr0/nbd")).strip();
    }

    /** The sync session from {@code member} to {@code peer}, named as the guide does: {@code stg-rmr1@stg-rmr2}. */
    static String syncSession(int member, int peer) {
        return "stg-rmr" + member + "@stg-rmr" + peer;
    }

    /** The state of {@code member}'s sync session to {@code peer}. */
    String syncSessionState(int member, int peer) {
        return ok(node(member).daemon.ctl("read", "rmr-client/pools/" + pool + "/sessions/" + syncSession(member, peer)
                + "/state")).strip();
    }

    /** The runbook's sync set-up on a storage node: the sync pool, a session to every peer, attached to the server pool. */
    void joinSync(Node node) {
        ok(node.daemon.ctl("write", "/sys/devices/virtual/rmr-client/ctl/join_pool",
                "poolname=" + pool + " chunk_size=" + chunkSize + " sync=y"));
        for (Node peer : nodes) {
            if (peer != node) {
                ok(node.daemon.ctl("write", "/sys/class/rmr-client/pools/" + pool + "/add_sess",
                        "sessname=" + syncSession(node.member, peer.member) + " path=ip:127.0.0.1:" + peer.port));
            }
        }
        ok(node.daemon.ctl("write", "/sys/class/rmr-server/pools/" + pool + "/add_clt", pool));
    }

    /** Starts a killed node again on its port and re-adds its store, as an operator would after a crash. */
    void restartAndReadd(int member) throws IOException {
        restart(member, false);
        ok(node(member).daemon.ctl("write", "brmr-server/ctl/add_store", "device=" + node(member).disk.path()
                + " pool=" + pool));
    }

    /**
     * Starts a killed node again on its port, without its journal ({@code --restore no}), and joins its pools
     * (and sync sessions) as the runbook types them; no store yet.
     */
    void restart(int member, boolean syncSessions) throws IOException {
        Node node = node(member);
        List<String> options = new ArrayList<>(List.of(serverOptions));
        options.addAll(List.of("--restore", "no"));
        node.daemon = DaemonProcess.storage(node.stateDir, node.port, options.toArray(String[]::new));
        ok(node.daemon.ctl("write", "rmr-server/ctl/join_pool",
                "poolname=" + pool + " member_id=" + member + " chunk_size=" + chunkSize));
        if (syncSessions) {
            joinSync(node);
        }
    }

    /** Starts a killed node again with the command line it had, and nothing typed: its journal brings it back. */
    void restartAsBefore(int member, String... extra) throws IOException {
        Node node = node(member);
        List<String> options = new ArrayList<>(List.of(serverOptions));
        options.addAll(List.of(extra));
        node.daemon = DaemonProcess.storage(node.stateDir, node.port, options.toArray(String[]::new));
    }

    /** Starts a killed client again on its state directory with the command line it had, and nothing typed. */
    void restartClientAsBefore(String... extra) throws IOException {
        List<String> options = new ArrayList<>(List.of(clientOptions));
        options.addAll(List.of(extra));
        client = DaemonProcess.client(dir.resolve("client"), options.toArray(String[]::new));
    }

    /** A new empty disk big enough for the pool, kept until the pool closes. */
    TestDisk emptyDisk(String name) throws IOException {
        TestDisk disk = TestDisk.create(dir, name, diskBytes(mappedSize, chunkSize));
        spareDisks.add(disk);
        return disk;
    }

    /** From now on the node's data area is read from {@code disk}. */
    void replaceDisk(int member, TestDisk disk) {
        Node node = node(member);
        spareDisks.remove(disk);
        spareDisks.add(node.disk);
        node.disk = disk;
    }

    DaemonProcess daemon(int member) {
        return node(member).daemon;
    }

    String read(int member, String file) {
        return ok(node(member).daemon.ctl("read", "rmr-server/pools/" + pool + "/" + file)).strip();
    }

    String sessionState(int member) {
        return ok(client.ctl("read", "rmr-client/pools/" + pool + "/sessions/s" + member + "/state")).strip();
    }

    /** One chunk of a node's data area, read from its backing file. */
    byte[] chunk(int member, long chunk) throws IOException {
        long dataOffset = MetadataLayout.forStore(mappedSize, chunkSize).dataOffset();
        byte[] bytes = new byte[(int) Math.min(chunkSize, mappedSize * 512 - chunk * chunkSize)];
        try (RandomAccessFile file = new RandomAccessFile(node(member).disk.backingFile().toFile(), "r")) {
            file.seek(dataOffset + chunk * chunkSize);
            file.readFully(bytes);
        }
        return bytes;
    }

    long chunkCount() {
        return (mappedSize * 512 + chunkSize - 1) / chunkSize;
    }

    /** Chunks whose bytes differ between two nodes' data areas. */
    List<Long> differingChunks(int a, int b) throws IOException {
        List<Long> differing = new ArrayList<>();
        for (long chunk = 0; chunk < chunkCount(); chunk++) {
            if (!java.util.Arrays.equals(chunk(a, chunk), chunk(b, chunk))) {
                differing.add(chunk);
            }
        }
        return differing;
    }

    @Override
    public void close() throws IOException {
        List<Exception> failures = new ArrayList<>();
        if (client != null) {
            closeQuietly(client, failures);
        }
        for (Node node : nodes) {
            closeQuietly(node.daemon, failures);
        }
        List<TestDisk> disks = new ArrayList<>(spareDisks);
        nodes.forEach(node -> disks.add(node.disk));
        for (TestDisk disk : disks) {
            try {
                disk.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (!failures.isEmpty()) {
            throw new IOException("stopping the local pool failed: " + failures);
        }
    }

    private static void closeQuietly(DaemonProcess daemon, List<Exception> failures) {
        try {
            daemon.close();
        } catch (IOException e) {
            failures.add(e);
        }
    }
}
