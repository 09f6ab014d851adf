/** The on-disk store metadata: versioned, checksummed, torn-write safe. */
module brmr.metadata {
    requires transitive brmr.device;

    exports brmr.metadata;
}
