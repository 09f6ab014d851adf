package brmr.admin.control;

import brmr.admin.events.StateEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The control-socket wire format: one JSON object per line, each carrying the format version. */
public final class ControlCodec {
    public static final int VERSION = 1;

    /** What brmrctl asks: {@code op} is read, write, list, status or events (answered by a stream of events). */
    public record Request(String op, String path, String value) {
    }

    /** What the daemon answers: output on success, a one-line error otherwise. */
    public record Response(boolean ok, String output, String error) {
        public static Response success(String output) {
            return new Response(true, output, null);
        }

        public static Response failure(String error) {
            return new Response(false, null, error);
        }
    }

    private ControlCodec() {
    }

    public static String encode(Request request) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("v", VERSION);
        json.put("op", request.op());
        if (request.path() != null) {
            json.put("path", request.path());
        }
        if (request.value() != null) {
            json.put("value", request.value());
        }
        return line(json);
    }

    public static Request decodeRequest(String line) throws ControlException {
        Map<String, Object> json = parse(line);
        return new Request(string(json, "op", true), string(json, "path", false), string(json, "value", false));
    }

    public static String encode(Response response) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("v", VERSION);
        json.put("ok", response.ok());
        json.put(response.ok() ? "output" : "error", response.ok() ? response.output() : response.error());
        return line(json);
    }

    public static Response decodeResponse(String line) throws ControlException {
        Map<String, Object> json = parse(line);
        if (!(json.get("ok") instanceof Boolean ok)) {
            throw new ControlException("response", "has no 'ok' field");
        }
        return ok ? Response.success(string(json, "output", false)) : Response.failure(string(json, "error", true));
    }

    /** One event of an {@code events} stream: {@code {"v":1,"event":{"time","type","kind","ids","fields"}}}. */
    public static String encode(StateEvent event) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("time", event.time().toString());
        body.put("type", event.type().label());
        body.put("kind", event.kind());
        Map<String, Object> ids = new LinkedHashMap<>();
        for (int i = 0; i < event.ids().size(); i += 2) {
            ids.put(event.ids().get(i), event.ids().get(i + 1));
        }
        body.put("ids", ids);
        body.put("fields", event.fields());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("v", VERSION);
        json.put("event", body);
        return line(json);
    }

    /** A line of an {@code events} stream: an event, or the refusal that answered the request. */
    public static StateEvent decodeEvent(String line) throws ControlException {
        Map<String, Object> json = parse(line);
        if (Boolean.FALSE.equals(json.get("ok"))) {
            throw new ControlException("events", string(json, "error", true));
        }
        if (!(json.get("event") instanceof Map<?, ?> body)) {
            throw new ControlException("event", "missing");
        }
        StateEvent.Type type;
        try {
            type = StateEvent.Type.valueOf(String.valueOf(body.get("type")).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ControlException("type", "'" + body.get("type") + "' is not an event type");
        }
        Instant time;
        try {
            time = Instant.parse(String.valueOf(body.get("time")));
        } catch (DateTimeParseException e) {
            throw new ControlException("time", "'" + body.get("time") + "' is not a time");
        }
        List<String> ids = new ArrayList<>();
        strings(body.get("ids"), "ids").forEach((name, value) -> {
            ids.add(name);
            ids.add(value);
        });
        if (!(body.get("kind") instanceof String kind)) {
            throw new ControlException("kind", "must be a string");
        }
        return new StateEvent(time, type, kind, ids, strings(body.get("fields"), "fields"));
    }

    private static Map<String, String> strings(Object value, String key) throws ControlException {
        if (!(value instanceof Map<?, ?> map)) {
            throw new ControlException(key, "must be an object");
        }
        Map<String, String> strings = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getValue() instanceof String text)) {
                throw new ControlException(key, entry.getKey() + " must be a string");
            }
            strings.put(String.valueOf(entry.getKey()), text);
        }
        return strings;
    }

    private static String line(Map<String, Object> json) {
        try {
            return JSON.std.asString(json);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + json, e);
        }
    }

    private static Map<String, Object> parse(String line) throws ControlException {
        Map<String, Object> json;
        try {
            json = JSON.std.mapFrom(line);
        } catch (IOException e) {
            throw new ControlException("request", "not a JSON object: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (json == null) {
            throw new ControlException("request", "empty");
        }
        if (!(json.get("v") instanceof Number version) || version.intValue() != VERSION) {
            throw new ControlException("v", "control protocol version " + json.get("v") + " is not " + VERSION);
        }
        return json;
    }

    private static String string(Map<String, Object> json, String key, boolean required) throws ControlException {
        Object value = json.get(key);
        if (value == null) {
            if (required) {
                throw new ControlException(key, "missing");
            }
            return null;
        }
        if (!(value instanceof String text)) {
            throw new ControlException(key, "must be a string");
        }
        return text;
    }
}
