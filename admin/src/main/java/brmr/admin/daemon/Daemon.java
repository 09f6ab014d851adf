package brmr.admin.daemon;

import brmr.admin.control.ControlServer;
import brmr.admin.control.ControlTree;
import brmr.admin.events.StateSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import org.tinylog.Logger;
import org.tinylog.configuration.Configuration;
import org.tinylog.provider.ProviderRegistry;

/** Process life of a daemon: its state directory, its log, and an orderly stop on SIGTERM or SIGINT. */
public final class Daemon {
    private final String program;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** The objects {@code brmrctl events} reports; set before serving, null for none. */
    private Supplier<StateSnapshot> states;

    private Daemon(String program) {
        this.program = program;
    }

    /**
     * Prepares the state directory (see {@link StateDirectory#prepare}) and sends the log to
     * {@code <state-dir>/<program>.log} (0640).
     */
    public static Daemon start(String program, Path stateDir) throws IOException {
        StateDirectory.prepare(stateDir);
        Path log = StateDirectory.logFile(stateDir, program);
        Configuration.replace(Map.of(
                "autoshutdown", "false",
                "writer1", "file",
                "writer1.file", log.toString(),
                "writer1.append", "true",
                "writer1.level", "info",
                "writer1.format", "{date: yyyy-MM-dd HH:mm:ss.SSS} {level} [{thread}] {message}",
                "writer2", "console",
                "writer2.stream", "err",
                "writer2.level", "warn",
                "writer2.format", program + ": {level}: {message}"));
        Logger.info("{} starting, pid {}", program, ProcessHandle.current().pid());
        return new Daemon(program);
    }

    /** What the control socket's {@code events} stream reports; call before {@link #serveUntilStopped}. */
    public void events(Supplier<StateSnapshot> snapshots) {
        states = snapshots;
    }

    /** Closed in reverse order when the daemon stops. */
    public void closeOnStop(AutoCloseable resource) {
        resources.add(resource);
    }

    /**
     * Serves the control socket, prints the ready line (with {@code details}, e.g. the addresses it
     * bound) that scripts and tests wait for, and runs until SIGTERM or SIGINT.
     */
    public void serveUntilStopped(Path socket, ControlTree tree, Supplier<String> status, String details)
            throws IOException {
        ControlServer control = new ControlServer(socket, tree, status, states);
        control.start();
        closeOnStop(control);
        System.out.println(program + " ready: socket=" + socket + " " + details + " pid=" + ProcessHandle.current().pid());
        System.out.flush();
        awaitStop();
    }

    /** Blocks until SIGTERM or SIGINT, then closes everything registered. */
    public void awaitStop() {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(this::stop));
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void stop() {
        Logger.info("{} stopping", program);
        List<AutoCloseable> reversed = new ArrayList<>(resources);
        Collections.reverse(reversed);
        for (AutoCloseable resource : reversed) {
            try {
                resource.close();
            } catch (Exception e) {
                Logger.warn("{}: closing {} failed: {}", program, resource, e.getMessage());
            }
        }
        Logger.info("{} stopped", program);
        try {
            ProviderRegistry.getLoggingProvider().shutdown();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopped.countDown();
    }
}
