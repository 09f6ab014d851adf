package brmr.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A brmr-server or brmr-client started from the image as a separate process on 127.0.0.1. It is
 * ready once it prints its ready line, which also gives the addresses it bound.
 */
final class DaemonProcess implements AutoCloseable {
    private static final long START_SECONDS = 60;

    private final String program;
    private final Process process;
    private final Path stateDir;
    private final Path socket;
    private final Map<String, String> ready;
    private final CompletableFuture<String> stderr;
    /** Whether we sent SIGSTOP without SIGCONT yet; guarded by this object's monitor. */
    private boolean frozen;

    private DaemonProcess(String program, Process process, Path stateDir, Path socket, Map<String, String> ready,
            CompletableFuture<String> stderr) {
        this.program = program;
        this.process = process;
        this.stateDir = stateDir;
        this.socket = socket;
        this.ready = ready;
        this.stderr = stderr;
    }

    /** A storage daemon listening for sessions on a free port of 127.0.0.1. */
    static DaemonProcess storage(Path stateDir) throws IOException {
        return storage(stateDir, 0);
    }

    /** A storage daemon on a given port, so that a restarted node is found where its client left it. */
    static DaemonProcess storage(Path stateDir, int port, String... options) throws IOException {
        return storageListening(stateDir, "127.0.0.1:" + port, options);
    }

    /** A storage daemon listening on {@code listen} (HOST:PORT), e.g. a loopback alias with the default port. */
    static DaemonProcess storageListening(Path stateDir, String listen, String... options) throws IOException {
        List<String> args = new ArrayList<>(List.of("--listen", listen));
        args.addAll(List.of(options));
        return start("brmr-server", stateDir, args.toArray(String[]::new));
    }

    /** A port free right now on 127.0.0.1, for a daemon that must come back on the same port. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** A compute-client daemon serving NBD on a free port of 127.0.0.1, unless {@code options} give {@code --nbd}. */
    static DaemonProcess client(Path stateDir, String... options) throws IOException {
        List<String> args = new ArrayList<>();
        if (!List.of(options).contains("--nbd")) {
            args.addAll(List.of("--nbd", "127.0.0.1:0"));
        }
        args.addAll(List.of(options));
        return start("brmr-client", stateDir, args.toArray(String[]::new));
    }

    private static DaemonProcess start(String program, Path stateDir, String... extra) throws IOException {
        Files.createDirectories(stateDir);
        Path socket = stateDir.resolve("control.sock");
        List<String> command = new ArrayList<>(List.of(Image.launcher(program).toString(),
                "--state-dir", stateDir.toString(), "--socket", socket.toString()));
        command.addAll(List.of(extra));
        Process process = new ProcessBuilder(command).start();
        CompletableFuture<String> stderr = Commands.drain(process.getErrorStream());
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> readyLine = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith(program + " ready:")) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        String line;
        try {
            line = readyLine.get(START_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            throw new IOException(program + " did not get ready: " + e, e);
        }
        if (line == null) {
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException(program + " exited before it was ready: "
                    + (process.isAlive() ? "(still running)" : stderr.join()));
        }
        Map<String, String> fields = new TreeMap<>();
        for (String word : line.substring(line.indexOf(':') + 1).trim().split(" ")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                fields.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return new DaemonProcess(program, process, stateDir, socket, fields, stderr);
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path socket() {
        return socket;
    }

    Path stateDir() {
        return stateDir;
    }

    /** An address from the ready line: {@code listen} of a storage daemon, {@code nbd} of the client. */
    InetSocketAddress address(String field) {
        String value = ready.get(field);
        int colon = value.lastIndexOf(':');
        return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    }

    /** The {@code path=} value of add_sess that reaches this storage daemon. */
    String sessionPath() {
        return "ip:" + ready.get("listen");
    }

    /** brmrctl against this daemon. */
    CommandResult ctl(String... args) {
        List<String> command = Commands.of(Image.launcher("brmrctl").toString(), "--socket", socket.toString());
        command.addAll(List.of(args));
        return Commands.run(command);
    }

    CommandResult console(String input) {
        return Commands.run(List.of(Image.launcher("brmrctl").toString(), "--socket", socket.toString()), input);
    }

    /** SIGSTOP: the process stays alive but answers nothing, like a hung node; {@link #close} resumes it first. */
    synchronized void freeze() {
        signal("STOP");
        frozen = true;
    }

    /** SIGCONT after {@link #freeze}. */
    synchronized void thaw() {
        if (frozen) {
            signal("CONT");
            frozen = false;
        }
    }

    private void signal(String name) {
        CommandResult sent = Commands.run(List.of("kill", "-" + name, String.valueOf(pid())));
        if (sent.exit() != 0) {
            throw new IllegalStateException("kill -" + name + " " + this + ": " + sent);
        }
    }

    /** kill -9: no shutdown hook runs. */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(program + " " + pid() + " survived kill -9 for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM, waiting for the orderly stop; kill -9 if it does not stop. */
    @Override
    public void close() throws IOException {
        if (!process.isAlive()) {
            return;
        }
        // a stopped process would hold SIGTERM pending until the 30 s kill -9
        thaw();
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IOException(program + " " + pid() + " ignored SIGTERM for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return program + "[" + pid() + "]";
    }
}
