package brmr.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A brmr-server started from the image as a separate process; ready once it prints its ready line. */
final class StorageDaemonProcess implements AutoCloseable {
    private static final long START_SECONDS = 60;

    private final Process process;
    private final Path stateDir;
    private final Path socket;
    private final CompletableFuture<String> stderr;

    private StorageDaemonProcess(Process process, Path stateDir, Path socket, CompletableFuture<String> stderr) {
        this.process = process;
        this.stateDir = stateDir;
        this.socket = socket;
        this.stderr = stderr;
    }

    static StorageDaemonProcess start(Path stateDir) throws IOException {
        Files.createDirectories(stateDir);
        Path socket = stateDir.resolve("control.sock");
        Process process = new ProcessBuilder(List.of(Image.launcher("brmr-server").toString(),
                "--state-dir", stateDir.toString(), "--socket", socket.toString())).start();
        CompletableFuture<String> stderr = Commands.drain(process.getErrorStream());
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("brmr-server ready")) {
                        return line;
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        }, runnable -> Thread.ofVirtual().start(runnable));
        StorageDaemonProcess daemon = new StorageDaemonProcess(process, stateDir, socket, stderr);
        try {
            if (ready.get(START_SECONDS, TimeUnit.SECONDS) == null) {
                process.waitFor(10, TimeUnit.SECONDS);
                throw new IOException("brmr-server exited before it was ready: " + daemon.stderrSoFar());
            }
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            daemon.kill();
            throw new IOException("brmr-server did not get ready: " + e, e);
        }
        return daemon;
    }

    long pid() {
        return process.pid();
    }

    Path socket() {
        return socket;
    }

    Path stateDir() {
        return stateDir;
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

    /** kill -9: no shutdown hook runs. */
    void kill() throws IOException {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String stderrSoFar() {
        return process.isAlive() ? "(still running)" : stderr.join();
    }

    /** SIGTERM, waiting for the orderly stop; kill -9 if it does not stop. */
    @Override
    public void close() throws IOException {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IOException("brmr-server " + pid() + " ignored SIGTERM for 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
