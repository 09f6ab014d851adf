package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;

/** The real NBD clients from Debian packages, run against an nbd:// URI. */
final class Qemu {
    private Qemu() {
    }

    static void requireTools(String... tools) {
        for (String tool : tools) {
            boolean present = Commands.onPath(tool);
            if (!present) {
                System.out.println("[brmr tests] skipping: " + tool + " is not installed (scripts/install-test-packages.sh)");
            }
            assumeTrue(present, tool + " is not installed");
        }
    }

    /** qemu-io with the given commands (e.g. "write -P 0xab 0 1M"); asserts it succeeded and returns its output. */
    static String io(String uri, String... commands) {
        return succeeded(ioResult(uri, commands));
    }

    /** Asserts a qemu-io run succeeded, every pattern check included, and returns its output. */
    static String succeeded(CommandResult result) {
        assertEquals(0, result.exit(), result::toString);
        if (result.out().contains("Pattern verification failed") || result.out().contains("failed:")) {
            throw new AssertionError("qemu-io reported a failure: " + result);
        }
        return result.out();
    }

    /** The whole device read through NBD into {@code file} ({@code qemu-img convert}); asserts it succeeded. */
    static void readAll(String uri, java.nio.file.Path file) {
        CommandResult result = Commands.run(new ArrayList<>(List.of("qemu-img", "convert", "-f", "raw", "-O", "raw",
                uri, file.toString())));
        assertEquals(0, result.exit(), result::toString);
    }

    static CommandResult ioResult(String uri, String... commands) {
        List<String> command = new ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        command.add(uri);
        return Commands.run(command);
    }
}
