package brmr.admin.daemon;

import brmr.admin.nbd.NbdTlsMode;
import brmr.device.BlockDevice;
import brmr.metadata.BitmapWrites;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.PeerTimeout;
import brmr.rmr.tls.TlsSetupException;
import brmr.rmr.tls.TransportSecurity;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Command-line options shared by the daemons: {@code --state-dir}, {@code --socket}, {@code --listen} and friends. */
public final class DaemonOptions {
    /** The options of mutual TLS on RMR sessions; both daemons take them, all three or none. */
    public static final List<Option> TLS_OPTIONS = List.of(
            new Option("tls-cert", "FILE", "PEM certificate: mutual TLS 1.3 on RMR sessions (with --tls-key, --tls-ca)"),
            new Option("tls-key", "FILE", "PEM private key of --tls-cert, unencrypted PKCS#8 (as openssl genpkey writes)"),
            new Option("tls-ca", "FILE", "PEM certificate(s) of the CA that must have signed every peer's certificate"));

    /** The system property that picks {@link #bitmapWrites()}. */
    public static final String BITMAP_WRITES = "brmr.bitmap-writes";

    private final String program;
    private final Map<String, String> values;

    private DaemonOptions(String program, Map<String, String> values) {
        this.program = program;
        this.values = values;
    }

    /** Thrown for a bad command line; the message is one line naming the option. */
    public static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Every daemon takes it: the launcher turns it into the JVM's heap cap ({@code -Xmx}) and direct-memory cap
     * (the request data in flight, {@code -XX:MaxDirectMemorySize}), so the daemon
     * only checks it the same way the launcher does and lists it in the usage.
     */
    static final Option MAX_MEMORY = new Option("max-memory", "SIZE", "heap cap and direct-memory cap, e.g. 512m or "
            + "2g (default 1g; applied by the launcher)");
    private static final Pattern MEMORY_SIZE = Pattern.compile("[1-9][0-9]*[kKmMgG]");

    /** An option as the usage lists it: {@code --name VALUE  what it does}; an empty value makes it a flag. */
    public record Option(String name, String value, String description) {
        boolean flag() {
            return value.isEmpty();
        }
    }

    /** {@code --secret-file FILE}: the shared secret RMR sessions authenticate with. */
    public static final Option SECRET_FILE = new Option("secret-file", "FILE", "shared secret of the RMR sessions "
            + "(owner-only file); without it only loopback addresses are served");
    /** {@code --insecure}: serve a non-loopback address without a secret. */
    public static final Option INSECURE = new Option("insecure", "", "serve non-loopback addresses without "
            + "--secret-file (anyone on the network may read and write the pool)");

    /**
     * Parses the command line, or answers it and exits: {@code --help} prints the usage and
     * {@code --version} the version (exit 0); a bad command line prints the reason and the usage
     * to stderr (exit 2).
     */
    public static DaemonOptions fromCommandLine(String program, String summary, String[] args, List<Option> options) {
        List<String> words = List.of(args);
        if (words.contains("--help") || words.contains("-h")) {
            System.out.print(usage(program, summary, options));
            System.exit(0);
        }
        if (words.contains("--version")) {
            System.out.println(Version.line(program));
            System.exit(0);
        }
        try {
            List<String> names = new ArrayList<>(options.stream().filter(o -> !o.flag()).map(Option::name).toList());
            names.add(MAX_MEMORY.name());
            DaemonOptions parsed = parse(program, args, names,
                    options.stream().filter(Option::flag).map(Option::name).toList());
            parsed.checkMaxMemory();
            return parsed;
        } catch (UsageException e) {
            System.err.print(e.getMessage() + "\n" + usage(program, summary, options));
            System.exit(2);
            return null;
        }
    }

    /** The text of {@code --help}. */
    static String usage(String program, String summary, List<Option> options) {
        StringBuilder text = new StringBuilder("usage: " + program + " [OPTION]...\n" + summary + "\n");
        List<Option> all = new ArrayList<>(options);
        all.add(MAX_MEMORY);
        all.add(new Option("help", "", "print this help and exit"));
        all.add(new Option("version", "", "print the version and commit and exit"));
        for (Option option : all) {
            String form = "  --" + option.name() + (option.value().isEmpty() ? "" : " " + option.value());
            text.append(String.format("%-26s %s", form, option.description())).append('\n');
        }
        return text.toString();
    }

    /** Parses {@code --name VALUE} and {@code --name=VALUE} for the given option names, and bare {@code --flag}s. */
    static DaemonOptions parse(String program, String[] args, List<String> names, List<String> flags)
            throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException(program + ": unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String inline = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                inline = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name) && inline != null) {
                throw new UsageException(program + ": --" + name + " takes no value");
            }
            if (!names.contains(name) && !flags.contains(name)) {
                throw new UsageException(program + ": unknown option --" + name);
            }
            String value;
            if (flags.contains(name)) {
                value = "";
            } else if (inline != null) {
                value = inline;
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException(program + ": --" + name + " needs a value");
            }
            if (values.put(name, value) != null) {
                throw new UsageException(program + ": --" + name + " given twice");
            }
        }
        return new DaemonOptions(program, values);
    }

    /** Refuses a {@code --max-memory} the launcher would have refused; the value itself is the launcher's business. */
    void checkMaxMemory() throws UsageException {
        String value = values.get(MAX_MEMORY.name());
        if (value != null && !MEMORY_SIZE.matcher(value).matches()) {
            throw new UsageException(program + ": --max-memory: '" + value + "' is not a size such as 512m or 2g");
        }
    }

    public Path stateDir() {
        return Path.of(values.getOrDefault("state-dir", "/var/lib/brmr/" + program)).toAbsolutePath();
    }

    public Path socket() {
        String socket = values.get("socket");
        return socket == null ? stateDir().resolve("control.sock") : Path.of(socket).toAbsolutePath();
    }

    public BlockDevice.DirectIo directIo() throws UsageException {
        String value = values.getOrDefault("direct-io", "auto");
        return switch (value) {
            case "auto" -> BlockDevice.DirectIo.AUTO;
            case "on" -> BlockDevice.DirectIo.ON;
            case "off" -> BlockDevice.DirectIo.OFF;
            default -> throw new UsageException(program + ": --direct-io: '" + value + "' is not auto, on or off");
        };
    }

    /**
     * The system property {@code brmr.bitmap-writes=auto|mmap|dsync}: how stores make dirty-map updates durable
     * (default {@link BitmapWrites#DEFAULT}); a switch for benchmarks, documented in bench/README.md.
     */
    public BitmapWrites bitmapWrites() throws UsageException {
        String value = System.getProperty(BITMAP_WRITES, BitmapWrites.DEFAULT.label());
        BitmapWrites mode = BitmapWrites.ofLabel(value);
        if (mode == null) {
            throw new UsageException(program + ": -D" + BITMAP_WRITES + ": '" + value + "' is not auto, mmap or dsync");
        }
        return mode;
    }

    /** {@code --restore yes|no}: whether the daemon re-applies its journal at start (default yes). */
    public boolean restore() throws UsageException {
        String value = values.getOrDefault("restore", "yes");
        return switch (value) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new UsageException(program + ": --restore: '" + value + "' is not yes or no");
        };
    }

    /** The usage line of {@code --restore}, the same for both daemons. */
    public static Option restoreOption() {
        return new Option("restore", "yes|no", "re-apply the configuration kept in STATE-DIR/"
                + ConfigJournal.FILE_NAME + " at start (default yes)");
    }

    /** A {@code HOST:PORT} option without a default, e.g. {@code --metrics}: empty when not given. */
    public Optional<InetSocketAddress> optionalAddress(String name) throws UsageException {
        return values.containsKey(name) ? Optional.of(address(name, null)) : Optional.empty();
    }

    /** A {@code HOST:PORT} option; port 0 picks a free port. */
    public InetSocketAddress address(String name, String fallback) throws UsageException {
        String value = values.getOrDefault(name, fallback);
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new UsageException(program + ": --" + name + ": '" + value + "' is not HOST:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UsageException(program + ": --" + name + ": port '" + value.substring(colon + 1)
                    + "' is not a number");
        }
        if (port < 0 || port > 65535) {
            throw new UsageException(program + ": --" + name + ": port " + port + " is out of range 0..65535");
        }
        return new InetSocketAddress(value.substring(0, colon), port);
    }

    /** A whole-number option in {@code [min, max]}. */
    public long number(String name, long fallback, long min, long max) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        long number;
        try {
            number = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new UsageException(program + ": --" + name + ": '" + value + "' is not a whole number");
        }
        if (number < min || number > max) {
            throw new UsageException(program + ": --" + name + ": " + number + " is out of range " + min + ".." + max);
        }
        return number;
    }

    /**
     * {@code --tls-cert}, {@code --tls-key} and {@code --tls-ca}: mutual TLS with these credentials, or
     * {@link TransportSecurity#PLAIN} when none is given.
     */
    public TransportSecurity transportSecurity() throws UsageException {
        List<String> names = TLS_OPTIONS.stream().map(Option::name).toList();
        List<String> given = names.stream().filter(values::containsKey).toList();
        if (given.isEmpty()) {
            return TransportSecurity.PLAIN;
        }
        for (String name : names) {
            if (!given.contains(name)) {
                throw new UsageException(program + ": --" + name + ": missing; --" + given.getFirst()
                        + " needs all of --tls-cert, --tls-key and --tls-ca");
            }
        }
        try {
            return TransportSecurity.fromPem(Path.of(values.get("tls-cert")), Path.of(values.get("tls-key")),
                    Path.of(values.get("tls-ca")));
        } catch (TlsSetupException e) {
            throw new UsageException(program + ": " + e.getMessage());
        }
    }

    /** {@code --nbd-tls off|optional|require} (default off); TLS on the export needs {@code security}. */
    public NbdTlsMode nbdTls(TransportSecurity security) throws UsageException {
        String value = values.getOrDefault("nbd-tls", NbdTlsMode.OFF.label());
        NbdTlsMode mode = NbdTlsMode.named(value).orElseThrow(() -> new UsageException(program + ": --nbd-tls: '"
                + value + "' is not off, optional or require"));
        if (mode != NbdTlsMode.OFF && !security.isEnabled()) {
            throw new UsageException(program + ": --nbd-tls: " + value + " needs --tls-cert, --tls-key and --tls-ca");
        }
        return mode;
    }

    /** Whether a flag such as {@code --insecure} was given. */
    public boolean flag(String name) {
        return values.containsKey(name);
    }

    /**
     * The secret of {@code --secret-file}, read once; null without the option.
     *
     * @throws UsageException the file is missing, not the daemon user's own, readable by others, or no valid secret
     */
    public SessionSecret secret() throws UsageException {
        String file = values.get(SECRET_FILE.name());
        if (file == null) {
            return null;
        }
        try {
            return SecretFile.read(Path.of(file).toAbsolutePath());
        } catch (IllegalArgumentException e) {
            throw new UsageException(program + ": --" + SECRET_FILE.name() + ": " + e.getMessage());
        }
    }

    /**
     * Refuses to serve RMR sessions on {@code address} (the value of {@code --option}) beyond this machine
     * when peers prove nothing -- no secret and no mutual TLS -- unless {@code --insecure} says so.
     */
    public void requireLoopbackOrSecret(String option, InetSocketAddress address, SessionSecret secret,
            TransportSecurity security) throws UsageException {
        if (secret == null && !security.isEnabled()) {
            requireLoopback(option, address, "a non-loopback address needs --" + SECRET_FILE.name()
                    + " or the --tls-* credentials (or --" + INSECURE.name() + " to let anyone on the network in)");
        }
    }

    /** Refuses to serve {@code address} beyond this machine, unless {@code --insecure}; {@code why} ends the refusal. */
    public void requireLoopback(String option, InetSocketAddress address, String why) throws UsageException {
        if (flag(INSECURE.name())) {
            return;
        }
        if (address.isUnresolved() || !address.getAddress().isLoopbackAddress()) {
            throw new UsageException(program + ": --" + option + " " + address.getHostString() + ": " + why);
        }
    }

    /** {@code --peer-timeout SECONDS}: how long a peer may leave a request unanswered (default 5). */
    public PeerTimeout peerTimeout() throws UsageException {
        return new PeerTimeout(Duration.ofSeconds(number("peer-timeout", PeerTimeout.DEFAULT.toSeconds(),
                PeerTimeout.MIN_SECONDS, PeerTimeout.MAX_SECONDS)));
    }
}
