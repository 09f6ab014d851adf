package brmr.admin.nbd;

import java.util.List;

/** What NBD_OPT_INFO and NBD_OPT_GO ask for: an export by name and the information items wanted. */
record NbdExportQuery(String name, List<Integer> informationTypes) {
    NbdExportQuery {
        informationTypes = List.copyOf(informationTypes);
    }
}
