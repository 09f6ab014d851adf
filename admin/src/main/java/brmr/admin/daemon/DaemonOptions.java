package brmr.admin.daemon;

import brmr.device.BlockDevice;
import brmr.rmr.SessionSecret;
import brmr.rmr.client.PeerTimeout;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Command-line options shared by the daemons: {@code --state-dir}, {@code --socket}, {@code --listen} and friends. */
public final class DaemonOptions {
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
            return parse(program, args, options.stream().filter(o -> !o.flag()).map(Option::name).toList(),
                    options.stream().filter(Option::flag).map(Option::name).toList());
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
     * when they carry no secret, unless {@code --insecure} says so.
     */
    public void requireLoopbackOrSecret(String option, InetSocketAddress address, SessionSecret secret)
            throws UsageException {
        if (secret == null) {
            requireLoopback(option, address, "a non-loopback address needs --" + SECRET_FILE.name() + " (or --"
                    + INSECURE.name() + " to let anyone on the network in)");
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
