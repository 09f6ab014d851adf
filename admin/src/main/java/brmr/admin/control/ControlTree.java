package brmr.admin.control;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The sysfs-like files of a daemon: path patterns such as {@code brmr-server/stores/{pool}/state}
 * bound to readers and writers. Paths are taken with or without the {@code /sys/class/} or
 * {@code /sys/devices/virtual/} prefix, so the runbook's lines work unchanged.
 */
public final class ControlTree {
    private static final List<String> PREFIXES = List.of("/sys/class/", "/sys/devices/virtual/", "sys/class/",
            "sys/devices/virtual/");

    /** Values of the {@code {name}} parts of a path. */
    public record Vars(Map<String, String> values) {
        public String get(String name) {
            return values.get(name);
        }
    }

    @FunctionalInterface
    public interface Reader {
        String read(Vars vars) throws ControlException;
    }

    @FunctionalInterface
    public interface Writer {
        /** Returns what the write prints (usually nothing). */
        String write(Vars vars, String value) throws ControlException;
    }

    @FunctionalInterface
    public interface Names {
        Collection<String> names(Vars vars);
    }

    private record File(List<String> pattern, Reader reader, Writer writer) {
    }

    private final List<File> files = new ArrayList<>();
    private final Map<String, Names> names = new TreeMap<>();

    public ControlTree readable(String pattern, Reader reader) {
        files.add(new File(split(pattern), reader, null));
        return this;
    }

    public ControlTree writable(String pattern, Writer writer) {
        files.add(new File(split(pattern), null, writer));
        return this;
    }

    public ControlTree file(String pattern, Reader reader, Writer writer) {
        files.add(new File(split(pattern), reader, writer));
        return this;
    }

    /** Lists the names a {@code {var}} part takes, e.g. {@code brmr-server/stores/{pool}}. */
    public ControlTree names(String pattern, Names provider) {
        names.put(pattern, provider);
        return this;
    }

    public String read(String path) throws ControlException {
        List<String> segments = segments(path);
        for (File file : files) {
            Vars vars = match(file.pattern, segments);
            if (vars != null) {
                if (file.reader == null) {
                    throw new ControlException("path", String.join("/", segments) + " is write-only");
                }
                return file.reader.read(vars);
            }
        }
        throw notFound(segments);
    }

    public String write(String path, String value) throws ControlException {
        List<String> segments = segments(path);
        for (File file : files) {
            Vars vars = match(file.pattern, segments);
            if (vars != null) {
                if (file.writer == null) {
                    throw new ControlException("path", String.join("/", segments) + " is read-only");
                }
                return file.writer.write(vars, value);
            }
        }
        throw notFound(segments);
    }

    /** The entries of a directory; directories end with '/'. The empty path lists the top. */
    public List<String> list(String path) throws ControlException {
        List<String> segments = path.isBlank() || path.strip().equals("/") ? List.of() : segments(path);
        TreeSet<String> entries = new TreeSet<>();
        boolean directory = false;
        for (File file : files) {
            if (file.pattern.size() <= segments.size()) {
                continue;
            }
            Vars vars = match(file.pattern.subList(0, segments.size()), segments);
            if (vars == null) {
                continue;
            }
            directory = true;
            String next = file.pattern.get(segments.size());
            String suffix = file.pattern.size() > segments.size() + 1 ? "/" : "";
            if (isVar(next)) {
                Names provider = names.get(String.join("/", file.pattern.subList(0, segments.size() + 1)));
                if (provider != null) {
                    provider.names(vars).forEach(name -> entries.add(name + suffix));
                }
            } else {
                entries.add(next + suffix);
            }
        }
        if (!directory) {
            throw new ControlException("path", String.join("/", segments) + ": no such directory");
        }
        return new ArrayList<>(entries);
    }

    /** Splits a path after dropping the sysfs prefix; an empty part (as in {@code stores//remove_store}) is refused. */
    public static List<String> segments(String path) throws ControlException {
        String p = path.strip();
        for (String prefix : PREFIXES) {
            if (p.startsWith(prefix)) {
                p = p.substring(prefix.length());
                break;
            }
        }
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        if (p.isEmpty()) {
            throw new ControlException("path", "empty path");
        }
        List<String> parts = List.of(p.split("/", -1));
        if (parts.contains("")) {
            throw new ControlException("path", "'" + path.strip() + "' has an empty part (is a pool name missing?)");
        }
        return parts;
    }

    private static List<String> split(String pattern) {
        return List.of(pattern.split("/"));
    }

    private static boolean isVar(String part) {
        return part.startsWith("{") && part.endsWith("}");
    }

    private static Vars match(List<String> pattern, List<String> segments) {
        if (pattern.size() != segments.size()) {
            return null;
        }
        Map<String, String> values = new TreeMap<>();
        for (int i = 0; i < pattern.size(); i++) {
            String part = pattern.get(i);
            if (isVar(part)) {
                values.put(part.substring(1, part.length() - 1), segments.get(i));
            } else if (!part.equals(segments.get(i))) {
                return null;
            }
        }
        return new Vars(values);
    }

    private static ControlException notFound(List<String> segments) {
        return new ControlException("path", String.join("/", segments) + ": no such file");
    }
}
