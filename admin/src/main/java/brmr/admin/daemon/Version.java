package brmr.admin.daemon;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The Maven version and git commit of this build (written at build time), as {@code --version} prints them. */
public final class Version {
    private Version() {
    }

    /** E.g. {@code brmrctl 0.1.0-SNAPSHOT (commit 079d163a1b2c)}. */
    public static String line(String program) {
        Properties build = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            // a build without the resource still answers, with "unknown"
        }
        return program + " " + build.getProperty("version", "unknown") + " (commit "
                + build.getProperty("commit", "unknown") + ")";
    }
}
