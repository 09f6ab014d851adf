package brmr.rmr.adapter;

/** How brmr-server registers a store with a server pool. */
public enum RegisterMode {
    /** First registration of a fresh store: the pool accepts only a create-mode client session. */
    CREATE,
    /** Re-add of a store whose metadata is intact. */
    ADD,
    /** An empty disk replacing a failed one: every chunk is missing until synced. */
    REPLACE
}
