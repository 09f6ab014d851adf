package brmr.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The systemd template units shipped in the image's {@code lib/systemd} pass {@code systemd-analyze
 * verify}, rendered for an instance with the image where the units expect it ({@code /opt/brmr}).
 */
class SystemdUnitsIT {
    private static final String INSTALLED_AT = "/opt/brmr";

    @TempDir
    Path dir;

    @BeforeEach
    void tool() {
        Qemu.requireTools("systemd-analyze");
    }

    /** The unit of {@code program} as instance {@code test}, with the image at {@code home} instead of /opt/brmr. */
    private Path render(String program, Path home) throws IOException {
        String unit = Files.readString(Image.home().resolve("lib/systemd/" + program + "@.service"));
        assertTrue(unit.contains("ExecStart=" + INSTALLED_AT + "/bin/" + program + " --state-dir /var/lib/brmr/%i"),
                unit);
        Path rendered = dir.resolve(program + "@test.service");
        Files.writeString(rendered, unit.replace(INSTALLED_AT, home.toString()));
        return rendered;
    }

    private static CommandResult verify(Path unit) {
        return Commands.run(List.of("systemd-analyze", "verify", unit.toString()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client"})
    void theUnitVerifiesAndRestartsOnFailure(String program) throws IOException {
        Path unit = render(program, Image.home().toAbsolutePath());
        CommandResult result = verify(unit);
        assertEquals(0, result.exit(), result::toString);
        assertTrue(result.err().lines().noneMatch(line -> line.contains(unit.getFileName().toString())),
                result::toString);
        String text = Files.readString(unit);
        for (String setting : List.of("Restart=on-failure", "StateDirectory=brmr/%i", "EnvironmentFile=-/etc/brmr/%i.conf",
                "Type=exec")) {
            assertTrue(text.lines().anyMatch(setting::equals), setting + " in\n" + text);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"brmr-server", "brmr-client"})
    void verifyFindsAMissingExecutable(String program) throws IOException {
        CommandResult result = verify(render(program, dir.resolve("nowhere")));
        assertEquals(1, result.exit(), result::toString);
        assertTrue(result.err().contains("is not executable"), result::toString);
    }
}
