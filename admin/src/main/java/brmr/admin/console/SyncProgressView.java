package brmr.admin.console;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.Map;

/** Renders a pool's sync progress (the JSON of {@code sync_progress}) for people: percent, MiB/s, ETA, a bar. */
final class SyncProgressView {
    private static final int BAR_WIDTH = 30;

    private SyncProgressView() {
    }

    static Map<String, Object> parse(String json) throws IOException {
        return JSON.std.mapFrom(json);
    }

    static boolean running(Map<String, Object> progress) {
        return "running".equals(progress.get("state"));
    }

    static String line(Map<String, Object> p) {
        long total = number(p, "total");
        long clean = total - number(p, "dirty");
        String state = String.valueOf(p.get("state"));
        StringBuilder text = new StringBuilder();
        text.append(p.get("pool")).append(": ").append(state);
        if (!state.equals("idle")) {
            text.append(String.format(" %5.1f%% %s", ((Number) p.get("percent")).doubleValue(),
                    bar(((Number) p.get("percent")).doubleValue())));
        }
        text.append(' ').append(clean).append('/').append(total).append(" chunks clean");
        if (state.equals("running")) {
            Object eta = p.get("eta_seconds");
            text.append(String.format(", %.1f MiB/s, eta %s", ((Number) p.get("mib_per_s")).doubleValue(),
                    eta == null ? "unknown" : clock(((Number) eta).longValue())));
        } else if (state.equals("done")) {
            text.append(", ").append(number(p, "synced")).append(" synced in ").append(clock(number(p, "elapsed_seconds")));
        } else if (state.equals("stopped")) {
            text.append(", stopped: ").append(p.get("reason"));
        }
        return text.toString();
    }

    static String bar(double percent) {
        int filled = (int) Math.round(percent / 100 * BAR_WIDTH);
        return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
    }

    private static long number(Map<String, Object> p, String key) {
        return ((Number) p.get(key)).longValue();
    }

    static String clock(long seconds) {
        return String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
    }
}
