package dev.scopeflow.flink.types;

import dev.scopeflow.flink.operators.DocumentDecodeFunction;
import dev.scopeflow.flink.operators.SaeEncodeOperator;

/**
 * A Kafka record (activations or documents) as read, before decoding: decoding happens in
 * {@link SaeEncodeOperator} / {@link DocumentDecodeFunction} so that a record
 * that cannot be decoded goes to the dead-letter topic with its coordinates instead of failing the source.
 * A Flink POJO (public fields, no-arg constructor) so no Kryo is involved.
 */
public class RawKafkaRecord {
    public String topic;
    public int partition;
    public long offset;
    public byte[] value;

    public RawKafkaRecord() {}

    public RawKafkaRecord(String topic, int partition, long offset, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.value = value;
    }

    /** {@code topic/partition@offset}, how error messages and dead letters name a record. */
    public String coordinates() {
        return topic + "/" + partition + "@" + offset;
    }
}
