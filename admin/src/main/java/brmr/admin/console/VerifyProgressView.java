package brmr.admin.console;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Renders a pool's verify progress (the JSON of {@code verify_progress}) for people, and its exit code. */
final class VerifyProgressView {
    /** Exit code of {@code brmrctl verify --wait} when the verify ended with differing chunks. */
    static final int DIFFER = 2;

    private VerifyProgressView() {
    }

    static String line(Map<String, Object> p) {
        String state = String.valueOf(p.get("state"));
        StringBuilder text = new StringBuilder();
        text.append(p.get("pool")).append(": ").append(state);
        if (state.equals("idle")) {
            return text.toString();
        }
        double percent = ((Number) p.get("percent")).doubleValue();
        text.append(String.format(" %5.1f%% %s ", percent, SyncProgressView.bar(percent)));
        long compared = number(p, "compared");
        long differ = number(p, "differ");
        if (state.equals("running")) {
            text.append(String.format("%d/%d chunks compared, %d differ, %.1f MiB/s", compared, number(p, "total"),
                    differ, ((Number) p.get("mib_per_s")).doubleValue()));
            return text.toString();
        }
        List<?> differing = (List<?>) p.get("differing");
        text.append(compared).append(" chunks compared, ").append(differ).append(" differ: ")
                .append(differing.stream().map(String::valueOf).collect(Collectors.joining(" ", "[", "]")));
        if (number(p, "skipped") > 0) {
            text.append(", ").append(number(p, "skipped")).append(" skipped");
        }
        text.append(" in ").append(SyncProgressView.clock(number(p, "elapsed_seconds")));
        if (state.equals("stopped")) {
            text.append(", stopped: ").append(p.get("reason"));
        }
        return text.toString();
    }

    /** With --wait: 0 when done and no chunk differs, 2 when some differ, 1 when it stopped. */
    static int exitCode(Map<String, Object> p) {
        if (!"done".equals(p.get("state"))) {
            return Brmrctl.FAILED;
        }
        return number(p, "differ") == 0 ? Brmrctl.OK : DIFFER;
    }

    private static long number(Map<String, Object> p, String key) {
        return ((Number) p.get(key)).longValue();
    }
}
