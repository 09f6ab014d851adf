package brmr.admin.console;

import brmr.admin.control.ControlClient;
import brmr.admin.control.ControlCodec;
import brmr.admin.control.ControlException;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Shows the progress JSON of a long pool operation (sync, verify): once, live as a bar on a terminal,
 * or until it ends with {@code --wait} ({@code --json} prints the JSON instead of a line).
 */
final class ProgressFollower {
    private final Brmrctl ctl;

    ProgressFollower(Brmrctl ctl) {
        this.ctl = ctl;
    }

    /**
     * Reads {@code path} until the operation is no longer running (or once, off a terminal without
     * --wait); returns {@code endCode} of the last progress with --wait, else 0, and 1 on an error.
     */
    int follow(String path, Function<Map<String, Object>, String> line, ToIntFunction<Map<String, Object>> endCode) {
        boolean json = ctl.json();
        boolean wait = ctl.waits();
        PrintStream out = ctl.out();
        PrintStream err = ctl.err();
        try (ControlClient client = ControlClient.connect(ctl.socket())) {
            while (true) {
                ControlCodec.Response response = client.call(new ControlCodec.Request("read", path, null));
                if (!response.ok()) {
                    err.println(response.error());
                    return Brmrctl.FAILED;
                }
                Map<String, Object> progress = SyncProgressView.parse(response.output());
                boolean running = SyncProgressView.running(progress);
                boolean live = ctl.terminal() && !json;
                if (json) {
                    if (!running || !wait) {
                        out.println(response.output());
                    }
                } else if (live) {
                    out.print("\r\033[K" + line.apply(progress));
                    out.flush();
                } else if (!running || !wait) {
                    out.println(line.apply(progress));
                }
                if (!running || !(wait || live)) {
                    if (live) {
                        out.println();
                    }
                    return wait ? endCode.applyAsInt(progress) : Brmrctl.OK;
                }
                Thread.sleep(live ? 500 : 200);
            }
        } catch (IOException | ControlException e) {
            err.println("brmrctl: " + e.getMessage());
            return Brmrctl.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Brmrctl.FAILED;
        }
    }
}
