package brmr.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** The jlink image built by this module's package phase, whose launchers the tests run. */
final class Image {
    private Image() {
    }

    static Path home() {
        Path home = Path.of(System.getProperty("brmr.image", "target/brmr"));
        if (!Files.isExecutable(home.resolve("bin/brmr-server"))) {
            throw new IllegalStateException("no brmr image at " + home.toAbsolutePath()
                    + "; build it with 'mvn package' first");
        }
        return home;
    }

    static Path launcher(String name) {
        return home().resolve("bin").resolve(name);
    }
}
