package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The launchers of the image behave like Unix tools: {@code --help} and {@code --version} on stdout
 * with exit 0, an unknown option named with the usage on stderr and exit 2, every message ending in a
 * newline. brmrctl starts from the AOT cache made at package time, and without it when it is missing or stale.
 */
class CommandLineIT {
    private static final String VERSION = System.getProperty("brmr.version", "unknown");

    private static CommandResult run(String program, String... args) {
        List<String> command = Commands.of(Image.launcher(program).toString());
        command.addAll(List.of(args));
        return Commands.run(command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client", "brmrctl"})
    void helpPrintsTheUsageOnStdout(String program) {
        for (String help : List.of("--help", "-h")) {
            CommandResult result = run(program, help);
            assertEquals(0, result.exit(), result::toString);
            assertEquals("", result.err(), result::toString);
            assertTrue(result.out().startsWith("usage: " + program + " ") && result.out().endsWith("\n")
                    && result.out().contains("--version"), result::toString);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client", "brmrctl"})
    void versionNamesTheMavenVersionAndTheCommit(String program) {
        CommandResult result = run(program, "--version");
        assertEquals(0, result.exit(), result::toString);
        assertEquals("", result.err(), result::toString);
        Pattern line = Pattern.compile(Pattern.quote(program + " " + VERSION) + " \\(commit ([0-9a-f]{12}(-dirty)?)\\)\n");
        assertTrue(line.matcher(result.out()).matches(), result::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client", "brmrctl"})
    void anUnknownOptionPrintsTheUsageOnStderrAndExits2(String program) {
        CommandResult result = run(program, "--bogus", "x");
        assertEquals(2, result.exit(), result::toString);
        assertEquals("", result.out(), result::toString);
        assertTrue(result.err().startsWith(program + ": unknown option --bogus\nusage: " + program + " ")
                && result.err().endsWith("\n"), result::toString);
    }

    @Test
    void brmrctlStartsFromTheImagesAotCache() {
        // AOTMode=on makes the JVM exit when it cannot use the cache the launcher names
        List<String> command = Commands.of("env", "JDK_JAVA_OPTIONS=-XX:AOTMode=on", Image.launcher("brmrctl").toString(),
                "--version");
        CommandResult result = Commands.run(command);
        assertEquals(0, result.exit(), result::toString);
        assertTrue(result.out().startsWith("brmrctl " + VERSION + " "), result::toString);
    }

    @Test
    void brmrctlWorksQuietlyWithAStaleOrMissingAotCache(@TempDir Path dir) throws IOException {
        Path image = dir.resolve("brmr");
        CommandResult copied = Commands.run(List.of("cp", "-a", Image.home().toString(), image.toString()));
        assertEquals(0, copied.exit(), copied::toString);
        Path cache = image.resolve("lib/brmrctl.aot");
        Files.writeString(cache, "not an AOT cache");
        CommandResult stale = Commands.run(List.of(image.resolve("bin/brmrctl").toString(), "--version"));
        Files.delete(cache);
        CommandResult missing = Commands.run(List.of(image.resolve("bin/brmrctl").toString(), "--version"));
        for (CommandResult result : List.of(stale, missing)) {
            assertEquals(0, result.exit(), result::toString);
            assertEquals("", result.err(), result::toString);
            assertTrue(result.out().startsWith("brmrctl " + VERSION + " ") && result.out().lines().count() == 1,
                    result::toString);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client"})
    void anOptionWithoutItsValueIsNamed(String program) {
        CommandResult result = run(program, "--socket");
        assertEquals(2, result.exit(), result::toString);
        assertTrue(result.err().startsWith(program + ": --socket needs a value\nusage: "), result::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server --listen nowhere", "brmr-client --nbd nowhere",
        "brmr-server --peer-timeout 0", "brmr-server --max-memory 1.5g", "brmr-client --max-memory=lots",
        "brmrctl --socket", "brmrctl frobnicate", "brmrctl read",
        "brmrctl --socket /nonexistent/brmr.sock read rmr-server/ctl", "brmr-server --metrics nowhere",
        "brmr-client --metrics 127.0.0.1:70000", "brmrctl events now", "brmrctl --socket /nonexistent/brmr.sock events"})
    void everyErrorIsOneLineEndingInANewline(String commandLine) {
        String[] words = commandLine.split(" ");
        CommandResult result = run(words[0], java.util.Arrays.copyOfRange(words, 1, words.length));
        assertTrue(result.exit() == 1 || result.exit() == 2, result::toString);
        assertEquals("", result.out(), result::toString);
        assertTrue(result.err().startsWith(words[0] + ": ") && result.err().endsWith("\n")
                && result.err().lines().count() == 1, result::toString);
    }
}
