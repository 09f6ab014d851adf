package brmr.admin.console;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Renders a daemon's status JSON as one table of pools, stores and states. */
final class StatusTable {
    private StatusTable() {
    }

    static String render(String statusJson) throws IOException {
        Map<String, Object> status = JSON.std.mapFrom(statusJson);
        String table = "client".equals(status.get("node")) ? renderClient(status) : renderStorage(status);
        return table + restoreLines(status);
    }

    /** What the daemon restored at start, each failed step, and a journal that is not being saved. */
    static String restoreLines(Map<String, Object> status) {
        StringBuilder text = new StringBuilder();
        if (status.get("restore") instanceof Map<?, ?> restore) {
            text.append(restore.get("summary")).append('\n');
            for (Object failed : restore.get("failed") instanceof List<?> list ? list : List.of()) {
                text.append("  failed: ").append(failed).append('\n');
            }
        }
        if (status.get("journal_error") != null) {
            text.append("journal: not saved for a restart: ").append(status.get("journal_error")).append('\n');
        }
        return text.toString();
    }

    @SuppressWarnings("unchecked")
    private static String renderStorage(Map<String, Object> status) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"POOL", "MEMBER", "POOL STATE", "STORE", "STORE STATE", "MAPPED_SIZE", "DIRTY"});
        for (Object p : (List<Object>) status.getOrDefault("pools", List.of())) {
            Map<String, Object> pool = (Map<String, Object>) p;
            Map<String, Object> store = (Map<String, Object>) pool.get("store");
            StringBuilder dirty = new StringBuilder();
            for (Object d : (List<Object>) pool.getOrDefault("dirty", List.of())) {
                Map<String, Object> map = (Map<String, Object>) d;
                dirty.append(dirty.isEmpty() ? "" : " ").append("m").append(map.get("member")).append(' ')
                        .append(map.get("dirty")).append('/').append(map.get("total"));
            }
            rows.add(new String[] {
                String.valueOf(pool.get("pool")),
                String.valueOf(pool.get("member_id")),
                String.valueOf(pool.get("state")),
                store == null ? "-" : String.valueOf(store.get("device")),
                store == null ? "-" : String.join(",", (List<String>) store.get("state")),
                store == null ? "-" : String.valueOf(store.get("mapped_size")),
                dirty.isEmpty() ? "-" : dirty.toString()});
        }
        if (rows.size() == 1) {
            return "no pools joined\n";
        }
        List<String[]> sessions = new ArrayList<>();
        sessions.add(new String[] {"POOL", "SESSION", "ROLE", "PEER", "MEMBER", "STATE", "AUTH"});
        for (Object p : (List<Object>) status.getOrDefault("pools", List.of())) {
            Map<String, Object> pool = (Map<String, Object>) p;
            for (Object s : (List<Object>) pool.getOrDefault("served_sessions", List.of())) {
                Map<String, Object> session = (Map<String, Object>) s;
                sessions.add(new String[] {String.valueOf(pool.get("pool")), String.valueOf(session.get("session")),
                    "served " + session.get("role"), String.valueOf(session.get("peer")),
                    String.valueOf(session.get("member_id")), "-", yesNo(session.get("authenticated"))});
            }
            for (Object s : (List<Object>) pool.getOrDefault("sync_sessions", List.of())) {
                Map<String, Object> session = (Map<String, Object>) s;
                sessions.add(new String[] {String.valueOf(pool.get("pool")), String.valueOf(session.get("session")),
                    "sync to peer", String.valueOf(session.get("path")), String.valueOf(session.get("member_id")),
                    String.valueOf(session.get("state")), yesNo(session.get("authenticated"))});
            }
        }
        return sessions.size() == 1 ? format(rows) : format(rows) + "\n" + format(sessions);
    }

    private static String yesNo(Object flag) {
        return Boolean.TRUE.equals(flag) ? "yes" : "no";
    }

    @SuppressWarnings("unchecked")
    private static String renderClient(Map<String, Object> status) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"POOL", "SESSION", "PATH", "MEMBER", "STATE", "AUTH", "DEVICE"});
        for (Object p : (List<Object>) status.getOrDefault("pools", List.of())) {
            Map<String, Object> pool = (Map<String, Object>) p;
            Map<String, Object> device = (Map<String, Object>) pool.get("device");
            String exported = device == null ? "-" : String.valueOf(device.get("nbd"));
            List<Object> sessions = (List<Object>) pool.getOrDefault("sessions", List.of());
            if (sessions.isEmpty()) {
                rows.add(new String[] {String.valueOf(pool.get("pool")), "-", "-", "-", "-", "-", exported});
            }
            for (Object s : sessions) {
                Map<String, Object> session = (Map<String, Object>) s;
                rows.add(new String[] {String.valueOf(pool.get("pool")), String.valueOf(session.get("session")),
                    String.valueOf(session.get("path")), String.valueOf(session.get("member_id")),
                    String.valueOf(session.get("state")), yesNo(session.get("authenticated")), exported});
            }
        }
        if (rows.size() == 1) {
            return "no pools joined (NBD on " + status.get("nbd") + ")\n";
        }
        return format(rows);
    }

    static String format(List<String[]> rows) {
        int[] widths = new int[rows.getFirst().length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        StringBuilder text = new StringBuilder();
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(String.format("%-" + widths[i] + "s", row[i]));
                if (i < row.length - 1) {
                    line.append("  ");
                }
            }
            text.append(line.toString().stripTrailing()).append('\n');
        }
        return text.toString();
    }
}
