package brmr.admin.client;

import brmr.admin.control.ControlArgs;
import brmr.admin.control.ControlException;
import brmr.admin.control.ControlTree;
import brmr.admin.daemon.ConfigJournal;
import brmr.admin.daemon.JournalEntry;
import brmr.admin.daemon.JournalKeys;
import brmr.admin.daemon.RestoreReport;
import brmr.admin.nbd.NbdServer;
import brmr.admin.nbd.NbdTlsMode;
import brmr.rmr.adapter.StoreParams;
import brmr.rmr.PoolException;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.ClientPool;
import brmr.rmr.client.ClientPools;
import brmr.rmr.client.Leg;
import brmr.rmr.client.LegConnector;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.client.SessionState;
import brmr.rmr.protocol.Message;
import brmr.rmr.tls.TransportSecurity;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import org.tinylog.Logger;

/**
 * A compute client: its pools and their legs, its mapped devices, the NBD server exporting them, and their control
 * files. Devices are named as upstream's: {@code brmr0}, {@code brmr1}, ..., the lowest number free at map time.
 */
public final class ClientNode implements AutoCloseable {
    static final String DEVICE_PREFIX = "brmr";
    private static final Pattern DEVICE_NAME = Pattern.compile(DEVICE_PREFIX + "(0|[1-9][0-9]{0,5})");

    private final ClientPools pools;
    /** Guarded by this: mapped devices by their number N of {@code brmrN}. */
    private final Map<Integer, MappedDevice> devices = new TreeMap<>();
    private final NbdServer nbd;
    private final NbdTlsMode nbdTls;
    private final ControlTree tree = new ControlTree();
    /** The joins, sessions and maps this client accepted, for its next start. */
    private final ConfigJournal journal;
    private volatile RestoreReport restored;

    /** A client with a new identity of its own (tests). */
    public ClientNode(InetSocketAddress nbdAddress) {
        this(nbdAddress, PeerTimeout.ofDefault(), UUID.randomUUID(), ConfigJournal.inMemory());
    }

    /** A client without TLS or secret that keeps its configuration in {@code journal} (tests). */
    public ClientNode(InetSocketAddress nbdAddress, PeerTimeout peerTimeout, UUID clientId, ConfigJournal journal) {
        this(nbdAddress, peerTimeout, clientId, TransportSecurity.PLAIN, null, NbdTlsMode.OFF, journal);
    }

    /**
     * {@code peerTimeout}: the daemon's {@code --peer-timeout}, each pool's {@code peer_timeout} starts
     * from it; {@code clientId}: the client's persisted identity ({@link ClientIdentity}); {@code security}
     * protects the legs' sessions and, as {@code nbdTls} says, the NBD export; {@code journal}: where the
     * accepted configuration is kept for the next start.
     */
    public ClientNode(InetSocketAddress nbdAddress, PeerTimeout peerTimeout, UUID clientId,
            TransportSecurity security, SessionSecret secret, NbdTlsMode nbdTls, ConfigJournal journal) {
        this.journal = journal;
        this.pools = new ClientPools(LegConnector.tcp(security, secret), peerTimeout, clientId);
        this.nbd = new NbdServer(nbdAddress, this::exports, nbdTls, security);
        this.nbdTls = nbdTls;
        tree.writable("rmr-client/ctl/join_pool", (vars, value) -> joinPool(value))
                .names("rmr-client/pools/{pool}", vars -> pools.all().stream().map(ClientPool::name).toList())
                .writable("rmr-client/pools/{pool}/add_sess", (vars, value) -> addSession(pool(vars), value))
                .writable("rmr-client/pools/{pool}/pool_enable", (vars, value) -> {
                    ControlArgs.requireOne("pool_enable", value);
                    ControlException.refusing(() -> pool(vars).enableAll());
                    String file = JournalKeys.rmrClientPool(vars.get("pool")) + "/pool_enable";
                    journal.record(new JournalEntry(JournalEntry.Kind.ENABLE, file, file, "1"));
                    return "";
                })
                .writable("rmr-client/pools/{pool}/leave_pool", (vars, value) -> leavePool(vars, value))
                .readable("rmr-client/pools/{pool}/chunk_size", vars -> String.valueOf(pool(vars).chunkSize()))
                .readable("rmr-client/pools/{pool}/map_summary", vars -> pool(vars).mapSummary())
                .file("rmr-client/pools/{pool}/peer_timeout", vars -> pool(vars).peerTimeout().toString(),
                        (vars, value) -> {
                            PeerTimeoutFile.write(pool(vars).peerTimeout(), value);
                            journal.record(PeerTimeoutFile.entry(JournalKeys.rmrClientPool(vars.get("pool")), value));
                            return "";
                        })
                .names("rmr-client/pools/{pool}/sessions/{sess}", this::sessionNames)
                .writable("rmr-client/pools/{pool}/sessions/{sess}/enable", (vars, value) -> enable(vars, value))
                .readable("rmr-client/pools/{pool}/sessions/{sess}/state", vars -> sessionState(leg(vars)))
                .readable("rmr-client/pools/{pool}/sessions/{sess}/member_id",
                        vars -> String.valueOf(leg(vars).memberId()))
                .readable("rmr-client/pools/{pool}/sessions/{sess}/path",
                        vars -> "ip:" + leg(vars).where())
                .writable("rmr-client/pools/{pool}/sessions/{sess}/del_sess", (vars, value) -> deleteSession(vars, value))
                .writable("rmr-client/pools/{pool}/sessions/{sess}/reconnect", (vars, value) -> {
                    SessionPath.checkReconnect(value, leg(vars).address());
                    ControlException.refusing(() -> pool(vars).reconnect(vars.get("sess")));
                    return "";
                })
                .writable("brmr-client/ctl/map_device", (vars, value) -> map(value))
                .names("brmr-client/ctl/devices/{dev}", vars -> deviceNames())
                .readable("brmr-client/ctl/devices/{dev}/state", vars -> {
                    device(vars);
                    return "ready";
                })
                .readable("brmr-client/ctl/devices/{dev}/size", vars -> String.valueOf(device(vars).size() / 512))
                .readable("brmr-client/ctl/devices/{dev}/block/size", vars -> String.valueOf(device(vars).size() / 512))
                .readable("brmr-client/ctl/devices/{dev}/nbd", vars -> nbdUri(device(vars)))
                .writable("brmr-client/ctl/devices/{dev}/unmap_device", (vars, value) -> unmap(vars, value));
    }

    public void start() throws IOException {
        nbd.start();
    }

    public InetSocketAddress nbdAddress() {
        return nbd.address();
    }

    public ControlTree tree() {
        return tree;
    }

    /** The mapped devices: NBD serves them, events report them. */
    synchronized List<MappedDevice> exports() {
        return new ArrayList<>(devices.values());
    }

    /** The client's pools, for metrics and events. */
    public ClientPools pools() {
        return pools;
    }

    private synchronized List<String> deviceNames() {
        return devices.values().stream().map(MappedDevice::name).toList();
    }

    /** The device mapped from {@code pool}, if any. */
    private synchronized Optional<MappedDevice> deviceOf(String pool) {
        return devices.values().stream().filter(d -> d.pool().name().equals(pool)).findFirst();
    }

    private String nbdUri(MappedDevice device) {
        return nbdUri(device.name());
    }

    private String nbdUri(String exportName) {
        InetSocketAddress address = nbd.address();
        // nbds:// tells NBD clients that TLS is required, as the export then insists on it
        String scheme = nbdTls == NbdTlsMode.REQUIRE ? "nbds://" : "nbd://";
        return scheme + address.getHostString() + ":" + address.getPort() + "/" + exportName;
    }


    private ClientPool pool(ControlTree.Vars vars) throws ControlException {
        try {
            return pools.get(vars.get("pool"));
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
    }

    private List<String> sessionNames(ControlTree.Vars vars) {
        return pools.all().stream().filter(p -> p.name().equals(vars.get("pool")))
                .flatMap(p -> p.legs().stream()).map(Leg::name).toList();
    }

    private Leg leg(ControlTree.Vars vars) throws ControlException {
        return pool(vars).leg(vars.get("sess")).orElseThrow(() -> new ControlException("sessname",
                "no session " + vars.get("sess") + " in pool " + vars.get("pool")));
    }

    private synchronized MappedDevice device(ControlTree.Vars vars) throws ControlException {
        return devices.values().stream().filter(d -> d.name().equals(vars.get("dev"))).findFirst()
                .orElseThrow(() -> new ControlException("device", "no mapped device " + vars.get("dev")));
    }

    /** Upstream's state file: the word, and in maintenance a second line saying so. */
    static String sessionState(Leg leg) {
        SessionState state = leg.state();
        return state == SessionState.MAINTENANCE ? state.label() + "\nMaintenance mode: 1" : state.label();
    }

    /** {@code enable}: {@code 1} puts the session into service, {@code 0} takes it out for maintenance. */
    private String enable(ControlTree.Vars vars, String value) throws ControlException {
        ClientPool pool = pool(vars);
        String session = vars.get("sess");
        switch (value.strip()) {
            case "1" -> ControlException.refusing(() -> pool.enable(session));
            case "0" -> ControlException.refusing(() -> pool.maintenance(session));
            default -> throw new ControlException("enable", "write 1 to enable the session or 0 to take it out for "
                    + "maintenance (got '" + value.strip() + "')");
        }
        String file = JournalKeys.rmrClientSession(pool.name(), session) + "/enable";
        journal.record(new JournalEntry(JournalEntry.Kind.ENABLE, file, file, value.strip()));
        return "";
    }

    private String joinPool(String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("join_pool", value, List.of("poolname", "chunk_size"), List.of("sync"));
        String name = args.name("poolname");
        long chunkSize = args.number("chunk_size", 4096, 1 << 26);
        if (Long.bitCount(chunkSize) != 1) {
            throw new ControlException("chunk_size", chunkSize + " is not a power of two");
        }
        if (args.optionalChoice("sync", "y", "n").orElse("n").equals("y")) {
            throw new ControlException("sync", "sync=y joins a sync pool on a storage node, not on a compute client");
        }
        ControlException.refusing(() -> pools.join(name, (int) chunkSize));
        journal.record(new JournalEntry(JournalEntry.Kind.POOL, JournalKeys.rmrClientPool(name),
                "rmr-client/ctl/join_pool", "poolname=" + name + " chunk_size=" + chunkSize));
        return "";
    }

    private String addSession(ClientPool pool, String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("add_sess", value, List.of("sessname", "path"),
                List.of("mode", "force"));
        String session = args.sessionName("sessname");
        InetSocketAddress address = SessionPath.parse(args.text("path"));
        Message.JoinMode mode = args.optionalChoice("mode", "create", "assemble").orElse("create").equals("create")
                ? Message.JoinMode.CREATE : Message.JoinMode.ASSEMBLE;
        boolean force = args.optionalChoice("force", "0", "1").orElse("0").equals("1");
        boolean assumeClean = args.optionalChoice("assume_clean", "0", "1").orElse("0").equals("1");
        ControlException.refusing(() -> pool.addSession(session, address, mode, force));
        // after a restart the pool exists on the storage nodes: its sessions come back in assemble mode
        journal.record(new JournalEntry(JournalEntry.Kind.SESSION, JournalKeys.rmrClientSession(pool.name(), session),
                JournalKeys.rmrClientPool(pool.name()) + "/add_sess", "sessname=" + session + " path="
                + args.text("path") + " mode=assemble"));
        return "";
    }

    private static String deviceKey(String device) {
        return "brmr-client/ctl/devices/" + device;
    }

    private String deleteSession(ControlTree.Vars vars, String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("del_sess", value, List.of("mode"), List.of());
        String mode = args.optionalChoice("mode", "delete", "disassemble").orElseThrow();
        ClientPool pool = pool(vars);
        deviceOf(pool.name()).ifPresent(device -> Logger.info("del_sess {} while device {} of pool {} is mapped: "
                + "that leg misses writes from now on", vars.get("sess"), device.name(), pool.name()));
        ControlException.refusing(() -> pool.deleteSession(vars.get("sess"),
                mode.equals("delete") ? Message.LeaveMode.DELETE : Message.LeaveMode.DISASSEMBLE));
        journal.forget(JournalKeys.rmrClientSession(pool.name(), vars.get("sess")));
        return "";
    }

    private String leavePool(ControlTree.Vars vars, String value) throws ControlException {
        ControlArgs.requireOne("leave_pool", value);
        String name = vars.get("pool");
        Optional<MappedDevice> mapped = deviceOf(name);
        if (mapped.isPresent()) {
            throw new ControlException("leave_pool", "device " + mapped.get().name() + " of pool " + name
                    + " is mapped; unmap it first");
        }
        ControlException.refusing(() -> pools.leave(name));
        journal.forget(JournalKeys.rmrClientPool(name));
        return "";
    }

    /**
     * {@code map_device pool= size= [device=brmrN]}: verifies the legs, then exports the pool's device over
     * NBD, named {@code device} (a restart maps under the name it had) or the lowest free {@code brmrN}.
     */
    private String map(String value) throws ControlException {
        ControlArgs args = ControlArgs.parse("map_device", value, List.of("pool", "size"),
                List.of("force", "assume_clean", "device"));
        String name = args.name("pool");
        Optional<Integer> wanted = deviceNumber(args.optionalText("device"));
        long size = args.number("size", 1, Long.MAX_VALUE / 512);
        boolean force = args.optionalChoice("force", "0", "1").orElse("0").equals("1");
        boolean assumeClean = args.optionalChoice("assume_clean", "0", "1").orElse("0").equals("1");
        ClientPool pool;
        try {
            pool = pools.get(name);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
        Optional<MappedDevice> mapped = deviceOf(name);
        if (mapped.isPresent()) {
            throw new ControlException("pool", "pool " + name + " is already mapped as " + mapped.get().name());
        }
        StoreParams params;
        try {
            if (force) {
                // serve from the legs that are back even if they cannot prove they are current
                pool.enableAll(true);
            }
            params = pool.map(size, assumeClean);
        } catch (PoolException e) {
            throw ControlException.of(e);
        }
        MappedDevice device;
        synchronized (this) {
            if (deviceOf(name).isPresent()) {
                throw new ControlException("pool", "pool " + name + " was mapped meanwhile");
            }
            if (wanted.isPresent() && devices.containsKey(wanted.get())) {
                throw new ControlException("device", DEVICE_PREFIX + wanted.get() + " was taken meanwhile by pool "
                        + devices.get(wanted.get()).pool().name());
            }
            int number = 0;
            while (devices.containsKey(number)) {
                number++;
            }
            number = wanted.orElse(number);
            device = new MappedDevice(DEVICE_PREFIX + number, pool, params.dataBytes(), params.sectorSize());
            devices.put(number, device);
        }
        journal.record(new JournalEntry(JournalEntry.Kind.DEVICE, deviceKey(device.name()),
                "brmr-client/ctl/map_device", "pool=" + name + " size=" + size + " device=" + device.name()));
        Logger.info("map_device: pool {} mapped as {} ({} sectors, pool UUID {}), exported at {} and {}", name,
                device.name(), params.mappedSizeSectors(), params.poolUuid(), nbdUri(device), nbdUri(name));
        return "";
    }

    /** The N of a {@code device=brmrN} field, refused when not of that form or already mapped. */
    private synchronized Optional<Integer> deviceNumber(Optional<String> name) throws ControlException {
        if (name.isEmpty()) {
            return Optional.empty();
        }
        if (!DEVICE_NAME.matcher(name.get()).matches()) {
            throw new ControlException("device", "'" + name.get() + "' is not of the form " + DEVICE_PREFIX + "N");
        }
        int number = Integer.parseInt(name.get().substring(DEVICE_PREFIX.length()));
        MappedDevice taken = devices.get(number);
        if (taken != null) {
            throw new ControlException("device", name.get() + " is taken by pool " + taken.pool().name());
        }
        return Optional.of(number);
    }

    private String unmap(ControlTree.Vars vars, String value) throws ControlException {
        ControlArgs.requireOne("unmap_device", value);
        MappedDevice device = device(vars);
        synchronized (this) {
            devices.values().remove(device);
        }
        journal.forget(deviceKey(device.name()));
        int closed = nbd.disconnect(device.name());
        Logger.info("unmap_device: {} unmapped, {} NBD connection(s) closed", device.name(), closed);
        return "";
    }

    /** The client as JSON: pools with their sessions, and mapped devices. */
    public String status() {
        List<Object> poolList = new ArrayList<>();
        for (ClientPool pool : pools.all()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("pool", pool.name());
            entry.put("chunk_size", pool.chunkSize());
            entry.put("peer_timeout", pool.peerTimeout().timeout().toSeconds());
            List<Object> sessions = new ArrayList<>();
            for (Leg leg : pool.legs()) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("session", leg.name());
                s.put("path", "ip:" + leg.where());
                s.put("member_id", leg.memberId());
                s.put("state", leg.state().label());
                s.put("authenticated", leg.authenticated());
                s.put("last_error", leg.lastError());
                sessions.add(s);
            }
            entry.put("sessions", sessions);
            MappedDevice device = deviceOf(pool.name()).orElse(null);
            entry.put("device", device == null ? null : Map.of("name", device.name(), "size", device.size() / 512,
                    "nbd", nbdUri(device)));
            poolList.add(entry);
        }
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("node", "client");
        node.put("client_id", pools.writer().clientId().toString());
        node.put("writer_epoch", pools.writer().epoch());
        node.put("nbd", nbd.address() == null ? null : nbd.address().getHostString() + ":" + nbd.address().getPort());
        node.put("pools", poolList);
        node.put("restore", restored == null ? null : restored.toJson());
        node.put("journal_error", journal.saveError().orElse(null));
        try {
            return JSON.std.asString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The journal this client records its accepted configuration into. */
    public ConfigJournal journal() {
        return journal;
    }

    /** What the start brought back from the journal, for {@code status}. */
    public void restored(RestoreReport report) {
        this.restored = report;
    }

    @Override
    public void close() {
        nbd.close();
        pools.close();
    }
}
