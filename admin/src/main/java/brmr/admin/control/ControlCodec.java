package brmr.admin.control;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The control-socket wire format: one JSON object per line, each carrying the format version. The
 * objects are flat (strings, numbers, booleans, null), written and read here without a JSON library,
 * so that a brmrctl call, one short-lived JVM, loads and initialises no more than it needs.
 */
public final class ControlCodec {
    public static final int VERSION = 1;

    /** What brmrctl asks: {@code op} is read, write, list or status. */
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

    private static String line(Map<String, Object> json) {
        StringBuilder out = new StringBuilder("{");
        for (Map.Entry<String, Object> field : json.entrySet()) {
            if (out.length() > 1) {
                out.append(',');
            }
            quote(field.getKey(), out);
            out.append(':');
            switch (field.getValue()) {
                case null -> out.append("null");
                case String text -> quote(text, out);
                case Number number -> out.append(number);
                case Boolean flag -> out.append(flag);
                default -> throw new IllegalArgumentException("cannot encode " + field.getValue().getClass());
            }
        }
        return out.append('}').toString();
    }

    private static void quote(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append("\\u%04x".formatted((int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static Map<String, Object> parse(String line) throws ControlException {
        Map<String, Object> json = new FlatObjectReader(line).read();
        if (!(json.get("v") instanceof Number version) || version.intValue() != VERSION) {
            throw new ControlException("v", "control protocol version " + json.get("v") + " is not " + VERSION);
        }
        return json;
    }

    /** Reads one flat JSON object: string keys; string, number, boolean or null values. */
    private static final class FlatObjectReader {
        private final String text;
        private int at;

        FlatObjectReader(String text) {
            this.text = text;
        }

        Map<String, Object> read() throws ControlException {
            Map<String, Object> json = new LinkedHashMap<>();
            expect('{');
            if (peek() != '}') {
                do {
                    String key = string();
                    expect(':');
                    json.put(key, value());
                } while (take(','));
            }
            expect('}');
            if (peek() != 0) {
                throw malformed("text after the object");
            }
            return json;
        }

        private Object value() throws ControlException {
            char c = peek();
            if (c == '"') {
                return string();
            }
            int start = at;
            while (at < text.length() && "+-.0123456789eEtrufalsn".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
            String word = text.substring(start, at);
            switch (word) {
                case "true" -> {
                    return Boolean.TRUE;
                }
                case "false" -> {
                    return Boolean.FALSE;
                }
                case "null" -> {
                    return null;
                }
                default -> {
                    try {
                        if (word.matches("-?\\d{1,18}")) {
                            return Long.parseLong(word);
                        }
                        return Double.valueOf(word);
                    } catch (NumberFormatException e) {
                        at = start;
                        throw malformed("a string, number, boolean or null expected");
                    }
                }
            }
        }

        private String string() throws ControlException {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (at < text.length()) {
                char c = text.charAt(at++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (at >= text.length()) {
                    break;
                }
                char escaped = text.charAt(at++);
                switch (escaped) {
                    case '"', '\\', '/' -> out.append(escaped);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (at + 4 > text.length()) {
                            throw malformed("a \\u escape needs 4 hex digits");
                        }
                        try {
                            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                        } catch (NumberFormatException e) {
                            throw malformed("a \\u escape needs 4 hex digits");
                        }
                        at += 4;
                    }
                    default -> throw malformed("unknown escape \\" + escaped);
                }
            }
            throw malformed("unterminated string");
        }

        /** The next character after white space, 0 at the end; does not consume it. */
        private char peek() {
            while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
                at++;
            }
            return at < text.length() ? text.charAt(at) : 0;
        }

        private boolean take(char c) {
            if (peek() == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) throws ControlException {
            if (!take(c)) {
                throw malformed("'" + c + "' expected");
            }
        }

        private ControlException malformed(String why) {
            return new ControlException("request", "not a JSON object: " + why + " at offset " + at);
        }
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
