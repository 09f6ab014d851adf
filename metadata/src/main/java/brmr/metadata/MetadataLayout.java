package brmr.metadata;

/** Placeholder until the metadata format lands. */
public record MetadataLayout(long dataOffset) {
}
