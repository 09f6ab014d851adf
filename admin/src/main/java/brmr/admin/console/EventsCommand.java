package brmr.admin.console;

import brmr.admin.control.ControlClient;
import brmr.admin.control.ControlException;
import brmr.admin.events.StateEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code brmrctl events [--json]}: the daemon's objects as they are, then their changes as they happen,
 * one line each, until Ctrl-C or until the daemon goes away (exit 1).
 */
final class EventsCommand {
    private EventsCommand() {
    }

    static int run(Brmrctl ctl) {
        try (ControlClient client = ControlClient.connect(ctl.socket())) {
            client.events(event -> {
                for (String line : ctl.json() ? jsonLines(event) : List.of(event.text())) {
                    ctl.out().println(line);
                }
                ctl.out().flush();
                if (ctl.out().checkError()) {
                    throw new IOException("standard output is closed");
                }
            });
        } catch (IOException | ControlException e) {
            ctl.err().println("brmrctl: events: " + e.getMessage());
            return Brmrctl.FAILED;
        }
        ctl.err().println("brmrctl: events: the daemon at " + ctl.socket() + " ended the stream");
        return Brmrctl.FAILED;
    }

    /** One JSON object per field (time, type, object, the ids, field, value); one without a field if it has none. */
    static List<String> jsonLines(StateEvent event) throws IOException {
        Map<String, Object> head = new LinkedHashMap<>();
        head.put("time", event.time().toString());
        head.put("type", event.type().label());
        head.put("object", event.kind());
        for (int i = 0; i < event.ids().size(); i += 2) {
            head.put(event.ids().get(i), event.ids().get(i + 1));
        }
        if (event.fields().isEmpty()) {
            return List.of(JSON.std.asString(head));
        }
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, String> field : event.fields().entrySet()) {
            Map<String, Object> line = new LinkedHashMap<>(head);
            line.put("field", field.getKey());
            line.put("value", field.getValue());
            lines.add(JSON.std.asString(line));
        }
        return lines;
    }
}
