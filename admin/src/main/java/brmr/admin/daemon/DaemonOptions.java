package brmr.admin.daemon;

import brmr.device.BlockDevice;
import brmr.rmr.client.PeerTimeout;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
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

    /** Parses {@code --name VALUE} and {@code --name=VALUE} for the given option names. */
    public static DaemonOptions parse(String program, String[] args, List<String> names) throws UsageException {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new UsageException(program + ": unexpected argument '" + arg + "'");
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new UsageException(program + ": --" + name + " needs a value");
            }
            if (!names.contains(name)) {
                throw new UsageException(program + ": unknown option --" + name + " (known: --"
                        + String.join(", --", names) + ")");
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

    /** {@code --peer-timeout SECONDS}: how long a peer may leave a request unanswered (default 5). */
    public PeerTimeout peerTimeout() throws UsageException {
        return new PeerTimeout(Duration.ofSeconds(number("peer-timeout", PeerTimeout.DEFAULT.toSeconds(),
                PeerTimeout.MIN_SECONDS, PeerTimeout.MAX_SECONDS)));
    }
}
