package dev.scopeflow.flink.types;

/** A record the job could not use, with why; written to the dead-letter topic. Flink POJO. */
public class DeadLetter {
    public String sourceTopic;
    public int sourcePartition;
    public long sourceOffset;
    public String reason;
    public byte[] value;

    public DeadLetter() {}

    public DeadLetter(RawKafkaRecord record, String reason) {
        this.sourceTopic = record.topic;
        this.sourcePartition = record.partition;
        this.sourceOffset = record.offset;
        this.reason = reason;
        this.value = record.value;
    }
}
