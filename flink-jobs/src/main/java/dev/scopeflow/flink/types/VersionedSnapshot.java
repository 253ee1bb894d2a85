package dev.scopeflow.flink.types;

/**
 * A whole (not delta) snapshot of some accumulated result, with a version that only grows as more input is
 * counted. Writing the newest snapshot per key, in any order and any number of times, gives the same table.
 */
public interface VersionedSnapshot {

    /** What the snapshot is of, e.g. (run, SAE); newer versions of a key replace older ones. */
    String key();

    long version();
}
