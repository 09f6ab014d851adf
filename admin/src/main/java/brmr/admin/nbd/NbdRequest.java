package brmr.admin.nbd;

/** The header of one transmission-phase request; a write's data follows it on the wire. */
record NbdRequest(int flags, int type, long cookie, long offset, long length) {
    boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }
}
