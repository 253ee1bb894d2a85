package dev.scopeflow.producers.kafka;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.Producer;

/**
 * Tracks the outcome of asynchronous Kafka sends through callbacks instead of holding their futures, so a run of
 * any length keeps O(1) state: acknowledged records and bytes, failed records and the first failure. Callbacks
 * run on the producer's I/O thread, hence the atomics.
 *
 * <p>A failure is sticky: once a record is lost the run is incomplete, so every later {@link #check()} and
 * {@link #flush} keeps reporting it (each time as a new exception, so try-with-resources can attach one to another).
 */
public final class KafkaSendTracker {

    private final String topic;
    private final String recordKind;
    private final AtomicLong acknowledgedRecords = new AtomicLong();
    private final AtomicLong acknowledgedBytes = new AtomicLong();
    private final AtomicLong failedRecords = new AtomicLong();
    private final AtomicReference<Exception> firstFailure = new AtomicReference<>();

    /** @param recordKind what one record is, for error messages, e.g. "activation batch" */
    public KafkaSendTracker(String topic, String recordKind) {
        this.topic = topic;
        this.recordKind = recordKind;
    }

    /** The callback to pass to {@code producer.send} for a record of {@code bytes} value bytes. */
    public Callback callback(int bytes) {
        return (metadata, exception) -> {
            if (exception == null) {
                acknowledgedRecords.incrementAndGet();
                acknowledgedBytes.addAndGet(bytes);
            } else {
                failedRecords.incrementAndGet();
                firstFailure.compareAndSet(null, exception);
            }
        };
    }

    /** Throws if any send has failed so far; cheap, so senders call it before each send to stop a doomed run early. */
    public void check() {
        Exception failure = firstFailure.get();
        if (failure != null) {
            throw new IllegalStateException(
                    "Kafka rejected " + failedRecords.get() + " " + recordKind
                            + " record(s) for topic " + topic + " (" + acknowledgedRecords.get()
                            + " acknowledged); first failure: "
                            + failure.getMessage(),
                    failure);
        }
    }

    /** Blocks until every record sent so far through {@code producer} is completed, then {@link #check()}s. */
    public void flush(Producer<?, ?> producer) {
        producer.flush();
        check();
    }

    public String topic() {
        return topic;
    }

    public long acknowledgedRecords() {
        return acknowledgedRecords.get();
    }

    public long acknowledgedBytes() {
        return acknowledgedBytes.get();
    }

    public long failedRecords() {
        return failedRecords.get();
    }
}
