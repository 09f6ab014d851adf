package brmr.admin.console;

import brmr.admin.control.ControlClient;
import brmr.admin.control.ControlCodec;
import brmr.admin.control.ControlException;
import brmr.admin.daemon.Version;
import brmr.device.DeviceException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code brmrctl}: the admin console. {@code write PATH VALUE}, {@code read PATH}, {@code ls PATH},
 * {@code status}, {@code examine DEVICE}; with no command it reads the runbook's own
 * {@code echo '...' > /sys/...} and {@code cat /sys/...} lines.
 */
public final class Brmrctl {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    static final String DEFAULT_SOCKET = "/var/lib/brmr/brmr-server/control.sock";
    static final String USAGE_TEXT = """
            usage: brmrctl [--socket PATH] [--json] [--wait] COMMAND
                   brmrctl --help | --version
              write PATH VALUE...   write VALUE to a control file (as 'echo VALUE > /sys/class/PATH')
              read PATH             print a control file (as 'cat /sys/class/PATH')
              ls [PATH]             list a control directory
              status                one table of pools, stores and states (--json for JSON)
              examine DEVICE        the brmr metadata on a disk, read from the disk (--json for JSON)
              sync POOL             sync progress of a pool on a storage node: percent, MiB/s, ETA
                                    (a live bar on a terminal; --wait blocks until it ends; --json)
              verify POOL           online verify progress of a pool: chunks compared, differing chunks
                                    (as sync; --wait exits 0 if none differ, 2 if some do, 1 if it stopped)
              events                the daemon's pools, sessions, stores and syncs, then each change as it
                                    happens, one line each (--json: one object per field) until Ctrl-C
              (no command)          console: reads commands and runbook lines from standard input
            The socket comes from --socket, else $BRMR_SOCKET, else %s.
            """.formatted(DEFAULT_SOCKET);

    private final Path socket;
    private final boolean json;
    private final boolean wait;
    private final boolean terminal;
    private final PrintStream out;
    private final PrintStream err;

    Brmrctl(Path socket, boolean json, boolean wait, boolean terminal, PrintStream out, PrintStream err) {
        this.socket = socket;
        this.json = json;
        this.wait = wait;
        this.terminal = terminal;
        this.out = out;
        this.err = err;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    Path socket() {
        return socket;
    }

    boolean json() {
        return json;
    }

    /** --wait: follow a progress until it ends. */
    boolean waits() {
        return wait;
    }

    boolean terminal() {
        return terminal;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.getenv("BRMR_SOCKET"), System.out, System.err));
    }

    static int run(String[] args, String envSocket, PrintStream out, PrintStream err) {
        return run(args, envSocket, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)),
                System.console() != null && System.console().isTerminal(), out, err);
    }

    static int run(String[] args, String envSocket, BufferedReader in, boolean interactive, PrintStream out,
            PrintStream err) {
        String socket = envSocket == null || envSocket.isBlank() ? DEFAULT_SOCKET : envSocket;
        boolean json = false;
        boolean wait = false;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--socket" -> {
                    if (i + 1 == args.length) {
                        err.println("brmrctl: --socket needs a path");
                        return USAGE;
                    }
                    socket = args[++i];
                }
                case "--json" -> json = true;
                case "--wait" -> wait = true;
                case "-h", "--help", "help" -> {
                    out.print(USAGE_TEXT);
                    return OK;
                }
                case "--version" -> {
                    out.println(Version.line("brmrctl"));
                    return OK;
                }
                default -> {
                    if (isOption(args[i])) {
                        err.print("brmrctl: unknown option " + args[i] + "\n" + USAGE_TEXT);
                        return USAGE;
                    }
                    words.add(args[i]);
                }
            }
        }
        Brmrctl ctl = new Brmrctl(Path.of(socket), json, wait, interactive, out, err);
        if (words.isEmpty()) {
            return new Console(ctl, interactive).run(in);
        }
        return ctl.command(words);
    }

    /** A word that looks like an option: a dash and a letter (a value such as -1 is not one). */
    private static boolean isOption(String word) {
        return word.length() > 1 && word.charAt(0) == '-' && !Character.isDigit(word.charAt(1));
    }

    /** Runs one command given as words; prints its output or a one-line error; returns the exit code. */
    int command(List<String> words) {
        String verb = words.getFirst();
        List<String> rest = words.subList(1, words.size());
        return switch (verb) {
            case "write" -> rest.size() < 2 ? usage("write PATH VALUE") : write(rest.getFirst(), String.join(" ",
                    rest.subList(1, rest.size())));
            case "read" -> rest.size() != 1 ? usage("read PATH") : call("read", rest.getFirst(), null);
            case "ls" -> rest.size() > 1 ? usage("ls [PATH]") : call("list", rest.isEmpty() ? "" : rest.getFirst(),
                    null);
            case "status" -> rest.isEmpty() ? status() : usage("status");
            case "examine" -> rest.size() != 1 ? usage("examine DEVICE") : examine(Path.of(rest.getFirst()));
            case "sync" -> rest.size() != 1 ? usage("sync POOL [--wait] [--json]") : syncProgress(rest.getFirst());
            case "events" -> rest.isEmpty() ? EventsCommand.run(this) : usage("events [--json]");
            case "verify" -> rest.size() != 1 ? usage("verify POOL [--wait] [--json]")
                    : verifyProgress(rest.getFirst());
            default -> {
                err.println("brmrctl: unknown command '" + verb + "' (try brmrctl --help)");
                yield USAGE;
            }
        };
    }

    int write(String path, String value) {
        return call("write", path, value);
    }

    private int usage(String form) {
        err.println("brmrctl: usage: brmrctl " + form);
        return USAGE;
    }

    private int call(String op, String path, String value) {
        try (ControlClient client = ControlClient.connect(socket)) {
            ControlCodec.Response response = client.call(new ControlCodec.Request(op, path, value));
            if (!response.ok()) {
                err.println(response.error());
                return FAILED;
            }
            printOutput(response.output());
            return OK;
        } catch (IOException | ControlException e) {
            err.println("brmrctl: " + e.getMessage());
            return FAILED;
        }
    }

    private void printOutput(String output) {
        if (output != null && !output.isEmpty()) {
            out.print(output.endsWith("\n") ? output : output + "\n");
        }
    }

    private int status() {
        try (ControlClient client = ControlClient.connect(socket)) {
            ControlCodec.Response response = client.call(new ControlCodec.Request("status", null, null));
            if (!response.ok()) {
                err.println(response.error());
                return FAILED;
            }
            out.print(json ? response.output() + "\n" : StatusTable.render(response.output()));
            return OK;
        } catch (IOException | ControlException e) {
            err.println("brmrctl: " + e.getMessage());
            return FAILED;
        }
    }

    /** Shows a pool's sync progress; live on a terminal, and until it ends with --wait (exit 1 if it stopped). */
    private int syncProgress(String pool) {
        return follower().follow("rmr-server/pools/" + pool + "/sync_progress", SyncProgressView::line,
                progress -> "stopped".equals(progress.get("state")) ? FAILED : OK);
    }

    /** Shows a pool's verify progress; with --wait exits 0 when no chunk differs, 2 when some do, 1 if it stopped. */
    private int verifyProgress(String pool) {
        return follower().follow("rmr-server/pools/" + pool + "/verify_progress", VerifyProgressView::line,
                VerifyProgressView::exitCode);
    }

    private ProgressFollower follower() {
        return new ProgressFollower(this);
    }

    private int examine(Path device) {
        try {
            Examine.Report report = Examine.run(device, json);
            out.print(report.text());
            return report.found() ? OK : FAILED;
        } catch (DeviceException e) {
            err.println("device: " + e.getMessage());
            return FAILED;
        }
    }
}
