package brmr.admin.nbd;

import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Where the server finds the exports it may serve, asked afresh at every lookup so that exports
 * can appear and disappear as devices are mapped and unmapped.
 *
 * <p>Lookup rules of {@link #find}: an export whose name equals the requested name exactly;
 * otherwise one with that name among its {@linkplain NbdExport#aliases() aliases}; otherwise, for
 * the empty name that clients send when given no name, the only export if there is exactly one;
 * otherwise none.
 */
@FunctionalInterface
public interface ExportLookup {
    /** The exports available right now. */
    Collection<? extends NbdExport> exports();

    default Optional<NbdExport> find(String name) {
        List<NbdExport> current = List.copyOf(exports());
        for (NbdExport export : current) {
            if (export.name().equals(name)) {
                return Optional.of(export);
            }
        }
        for (NbdExport export : current) {
            if (export.aliases().contains(name)) {
                return Optional.of(export);
            }
        }
        if (name.isEmpty() && current.size() == 1) {
            return Optional.of(current.getFirst());
        }
        return Optional.empty();
    }
}
