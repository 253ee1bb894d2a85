package dev.scopeflow.flink.source;

import dev.scopeflow.flink.types.RawKafkaRecord;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Keeps the Kafka coordinates with the bytes; never throws, so a poison record cannot stop the source. */
public final class RawRecordDeserializer implements KafkaRecordDeserializationSchema<RawKafkaRecord> {

    private static final long serialVersionUID = 1L;

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<RawKafkaRecord> out) {
        byte[] value = record.value() == null ? new byte[0] : record.value();
        out.collect(new RawKafkaRecord(record.topic(), record.partition(), record.offset(), value));
    }

    @Override
    public TypeInformation<RawKafkaRecord> getProducedType() {
        return TypeInformation.of(RawKafkaRecord.class);
    }
}
