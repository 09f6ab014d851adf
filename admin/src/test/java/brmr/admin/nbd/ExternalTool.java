package brmr.admin.nbd;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs an installed command-line program with a timeout, capturing its combined output. */
final class ExternalTool {
    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    record Result(List<String> command, int exitCode, String output) {
        @Override
        public String toString() {
            return String.join(" ", command) + " exited with " + exitCode + ":\n" + output;
        }
    }

    private ExternalTool() {
    }

    /** Skips the calling test, saying why, when a program is not on the PATH. */
    static void assumeInstalled(String... programs) {
        for (String program : programs) {
            boolean found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                    .filter(directory -> !directory.isEmpty())
                    .map(directory -> Path.of(directory, program))
                    .anyMatch(Files::isExecutable);
            if (!found) {
                String reason = "skipped: " + program + " is not installed (Debian package "
                        + (program.startsWith("qemu") ? "qemu-utils" : "libnbd-bin") + ")";
                System.out.println(reason);
                Assumptions.abort(reason);
            }
        }
    }

    static Result run(String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("nbd-tool-", ".log");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                throw new AssertionError(String.join(" ", command) + " did not finish within " + TIMEOUT + ":\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(List.of(command), process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
