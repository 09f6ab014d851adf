package brmr.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The resident set size of daemons (VmRSS in /proc/PID/status), sampled, with the highest seen per daemon. */
final class RssPeaks {
    private final Map<String, DaemonProcess> daemons;
    /** Written by the sampling thread only. */
    private final Map<String, Long> peaks = new LinkedHashMap<>();

    RssPeaks(Map<String, DaemonProcess> daemons) {
        this.daemons = Map.copyOf(daemons);
        daemons.keySet().forEach(name -> peaks.put(name, 0L));
    }

    /** Samples every daemon now; returns the sample (bytes) and keeps the peaks. */
    Map<String, Long> sample() {
        Map<String, Long> now = new LinkedHashMap<>();
        for (String name : peaks.keySet()) {
            long rss = rssBytes(daemons.get(name).pid());
            now.put(name, rss);
            peaks.merge(name, rss, Math::max);
        }
        return now;
    }

    Map<String, Long> peaks() {
        return Map.copyOf(peaks);
    }

    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the RSS of process " + pid, e);
        }
        throw new IllegalStateException("no VmRSS line for process " + pid + " (has it exited?)");
    }
}
