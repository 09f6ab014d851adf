package brmr.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * fio through its NBD engine against an nbd:// URI, run in the background: its progress line tells
 * when IO flows, its JSON report whether every IO and every verification passed, and its per-IO
 * completion log how long the client once waited between two completions.
 */
final class Fio implements AutoCloseable {
    /** The IOPS group of fio's progress line, e.g. {@code [r=513,w=276 IOPS]} or {@code [w=1.2k IOPS]}. */
    private static final Pattern IOPS = Pattern.compile("\\[([^\\[\\]]*) IOPS\\]");

    private final String name;
    private final Process process;
    private final Path report;
    private final Path completionLog;
    private final CompletableFuture<String> stderr;
    private final Thread progressReader;
    /** The last progress line fio printed; written by the reader thread only. */
    private volatile String progress = "";
    private volatile boolean ioSeen;

    private Fio(String name, Process process, Path report, Path completionLog) {
        this.name = name;
        this.process = process;
        this.report = report;
        this.completionLog = completionLog;
        this.stderr = Commands.drain(process.getErrorStream());
        this.progressReader = Thread.ofVirtual().name("fio-progress-" + name).start(() -> readProgress(
                process.getInputStream()));
    }

    /** Skips the test, saying why, unless fio with its nbd engine is installed. */
    static void requireNbdEngine() {
        Qemu.requireTools("fio");
        CommandResult help = Commands.run(List.of("fio", "--enghelp=nbd"));
        boolean present = help.exit() == 0 && help.out().contains("uri");
        if (!present) {
            System.out.println("[brmr tests] skipping: fio has no nbd engine (Debian's fio has it built in): " + help);
        }
        assumeTrue(present, "fio has no nbd engine");
    }

    /**
     * Starts {@code fio --name=NAME --ioengine=nbd --uri=URI OPTIONS} with {@code dir} as its working
     * directory (fio's verify state files land there); with {@code logCompletions} fio logs every IO's
     * completion time.
     */
    static Fio start(Path dir, String name, String uri, boolean logCompletions, String... options) throws IOException {
        Path report = dir.resolve(name + ".json");
        List<String> command = Commands.of("fio", "--name=" + name, "--ioengine=nbd", "--uri=" + uri,
                "--output-format=json", "--output=" + report, "--eta=always");
        Path completionLog = null;
        if (logCompletions) {
            command.add("--write_lat_log=" + dir.resolve(name));
            command.add("--log_avg_msec=0");
            completionLog = dir.resolve(name + "_clat.1.log");
        }
        command.addAll(List.of(options));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
        process.getOutputStream().close();
        return new Fio(name, process, report, completionLog);
    }

    private void readProgress(InputStream out) {
        try (Reader in = new InputStreamReader(out, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c != '\r' && c != '\n') {
                    line.append((char) c);
                } else if (!line.isEmpty()) {
                    progress = line.toString();
                    ioSeen |= showsIo(progress);
                    line.setLength(0);
                }
            }
        } catch (IOException e) {
            progress = "(fio's output lost: " + e.getMessage() + ")";
        }
    }

    /** Whether fio's progress line has shown any IOs per second yet. */
    boolean ioSeen() {
        return ioSeen;
    }

    boolean isRunning() {
        return process.isAlive();
    }

    String progress() {
        return progress;
    }

    /** Whether a progress line shows IOs per second above zero in any direction. */
    static boolean showsIo(String progressLine) {
        Matcher iops = IOPS.matcher(progressLine);
        while (iops.find()) {
            for (String rate : iops.group(1).split(",")) {
                String number = rate.substring(rate.indexOf('=') + 1).replaceAll("[^0-9.]", "");
                if (!number.isEmpty() && Double.parseDouble(number) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Waits up to {@code limit} for fio to end; true when it has. */
    boolean endsWithin(Duration limit) throws InterruptedException {
        return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits for fio to end on its own; kills it and fails at the deadline. */
    Report await(Duration limit) throws IOException, InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            close();
            throw new AssertionError("fio " + name + " still running after " + limit + "; last progress: " + progress);
        }
        progressReader.join();
        String text = Files.exists(report) ? Files.readString(report) : "";
        return new Report(name, process.exitValue(), jobOf(text), stderr.join(), completionLog);
    }

    /** The single job of fio's JSON report, which may be preceded by fio's notices. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> jobOf(String reportText) throws IOException {
        int start = reportText.startsWith("{") ? 0 : reportText.indexOf("\n{");
        if (start < 0) {
            return Map.of();
        }
        Map<String, Object> json = JSON.std.mapFrom(reportText.substring(start));
        List<Object> jobs = (List<Object>) json.get("jobs");
        return jobs == null || jobs.isEmpty() ? Map.of() : (Map<String, Object>) jobs.getFirst();
    }

    /** A pause between two consecutive IO completions, in ms since fio started. */
    record Gap(long fromMillis, long toMillis) {
        long millis() {
            return toMillis - fromMillis;
        }

        @Override
        public String toString() {
            return millis() + " ms (from " + fromMillis + " to " + toMillis + " ms after fio started)";
        }
    }

    /**
     * The longest pause between consecutive completions in a fio latency log with {@code log_avg_msec=0}:
     * one line per IO, {@code time_ms, latency, direction, block_size, offset[, priority]}.
     */
    static Gap longestGap(Stream<String> logLines) {
        long[] times = logLines.map(String::strip).filter(line -> !line.isEmpty())
                .mapToLong(line -> Long.parseLong(line.substring(0, line.indexOf(',')).strip())).toArray();
        if (times.length < 2) {
            throw new IllegalArgumentException("a completion log needs two completions, it has " + times.length);
        }
        Arrays.sort(times);
        Gap longest = new Gap(times[0], times[0]);
        for (int i = 1; i < times.length; i++) {
            if (times[i] - times[i - 1] > longest.millis()) {
                longest = new Gap(times[i - 1], times[i]);
            }
        }
        return longest;
    }

    /** Stops fio if it still runs (SIGTERM, then SIGKILL). */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What a finished fio run reported. */
    record Report(String name, int exit, Map<String, Object> job, String stderr, Path completionLog) {
        /** fio's own error code for the job: 0, or the errno of the IO or verification that failed. */
        long error() {
            return job.get("error") instanceof Number n ? n.longValue() : -1;
        }

        long bytes(String direction) {
            return job.get(direction) instanceof Map<?, ?> stats && stats.get("io_bytes") instanceof Number n
                    ? n.longValue() : 0;
        }

        /** Every IO completed without error and every block read back matched its checksum. */
        void assertNoErrors() {
            List<String> problems = new ArrayList<>();
            if (exit != 0) {
                problems.add("exit " + exit);
            }
            if (error() != 0) {
                problems.add("job error " + error());
            }
            for (String line : stderr.lines().toList()) {
                if (line.contains("io_u error") || line.contains("verify failed") || line.contains("bad magic")) {
                    problems.add(line);
                }
            }
            if (!problems.isEmpty()) {
                throw new AssertionError("fio " + name + " reported errors: " + problems + "\n--- stderr\n" + stderr);
            }
        }

        Gap longestGap() throws IOException {
            try (Stream<String> lines = Files.lines(completionLog)) {
                return Fio.longestGap(lines);
            }
        }

        @Override
        public String toString() {
            return "fio " + name + ": exit " + exit + ", error " + error() + ", read " + bytes("read") + " B, written "
                    + bytes("write") + " B";
        }
    }
}
