package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the launchers and daemons do to the machine around them: the heap cap from --max-memory,
 * no chmod of an operator's directory, no file replaced by the control socket, logs 0640.
 */
class DaemonSafetyIT {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client"})
    void maxMemoryIsListedInTheUsage(String program) {
        CommandResult result = Commands.run(List.of(Image.launcher(program).toString(), "--help"));
        assertEquals(0, result.exit(), result::toString);
        assertTrue(result.out().contains("--max-memory SIZE"), result::toString);
    }

    @Test
    void theLauncherCapsTheHeapAtMaxMemoryAndDefaultsTo1g() throws Exception {
        try (DaemonProcess capped = DaemonProcess.storage(dir.resolve("capped"), 0, "--max-memory", "300m");
                DaemonProcess standard = DaemonProcess.storage(dir.resolve("standard"))) {
            assertTrue(commandLine(capped.pid()).containsAll(List.of("-Xmx300m", "-XX:MaxDirectMemorySize=256m")),
                    commandLine(capped.pid())::toString);
            assertTrue(commandLine(standard.pid()).contains("-Xmx1g"), commandLine(standard.pid())::toString);
        }
    }

    @Test
    void aStateDirOthersMayWriteToIsRefusedAndNotChmodded() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        CommandResult result = Commands.run(List.of(Image.launcher("brmr-server").toString(), "--state-dir",
                open.toString(), "--listen", "127.0.0.1:0"));
        assertEquals(1, result.exit(), result::toString);
        assertTrue(result.err().startsWith("brmr-server: --state-dir " + open + ": group or others may write to it")
                && result.err().lines().count() == 1, result::toString);
        assertEquals("rwxrwxrwx", PosixFilePermissions.toString(Files.getPosixFilePermissions(open)));
    }

    @Test
    void theSocketNeverReplacesAFileAndTheLogIs0640() throws Exception {
        Path state = Files.createDirectory(dir.resolve("state"));
        Path precious = Files.writeString(dir.resolve("precious.conf"), "keep me");
        CommandResult result = Commands.run(List.of(Image.launcher("brmr-client").toString(), "--state-dir",
                state.toString(), "--socket", precious.toString(), "--nbd", "127.0.0.1:0"));
        assertEquals(1, result.exit(), result::toString);
        assertEquals("brmr-client: --socket " + precious + ": exists and is not a socket; refusing to replace it\n",
                result.err(), result::toString);
        assertEquals("keep me", Files.readString(precious));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(
                state.resolve("brmr-client.log"))));
    }

    private static List<String> commandLine(long pid) throws Exception {
        String raw = Files.readString(Path.of("/proc", String.valueOf(pid), "cmdline"), StandardCharsets.UTF_8);
        return List.of(raw.split("\0"));
    }
}
