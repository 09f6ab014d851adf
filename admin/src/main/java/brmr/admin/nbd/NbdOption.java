package brmr.admin.nbd;

/** One option the client sends during negotiation, with its data. */
record NbdOption(int code, byte[] data) {
}
