package dev.scopeflow.flink.types;

/**
 * A snapshot that is also its own delta: a per-record contribution and the running total a keyed operator keeps
 * are the same type, and {@link #plus} adds one to the other.
 */
public interface Total<T extends Total<T>> extends VersionedSnapshot {

    T plus(T delta);
}
