package dev.scopeflow.schemas.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RowBinaryWriterTest {

    @Test
    void writesLittleEndianValuesAndLeb128Strings() {
        String longText = "x".repeat(300); // needs a two-byte length
        byte[] bytes = new RowBinaryWriter(1)
                .string("ab")
                .uint32(0xfffffffeL)
                .uint64(Long.MAX_VALUE)
                .float32(-1.5f)
                .float64(Math.PI)
                .string(longText)
                .string("ü")
                .toByteArray();

        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(in.get()).isEqualTo((byte) 2);
        assertThat(new byte[] {in.get(), in.get()}).isEqualTo("ab".getBytes(StandardCharsets.UTF_8));
        assertThat(Integer.toUnsignedLong(in.getInt())).isEqualTo(0xfffffffeL);
        assertThat(in.getLong()).isEqualTo(Long.MAX_VALUE);
        assertThat(in.getFloat()).isEqualTo(-1.5f);
        assertThat(in.getDouble()).isEqualTo(Math.PI);
        // 300 = 0b10_0101100 -> 0xAC 0x02
        assertThat(in.get() & 0xff).isEqualTo(0xac);
        assertThat(in.get() & 0xff).isEqualTo(0x02);
        in.position(in.position() + 300);
        assertThat(in.get()).isEqualTo((byte) 2); // "ü" is two UTF-8 bytes
        assertThat(in.remaining()).isEqualTo(2);
    }

    @Test
    void rejectsOutOfRangeUnsignedValues() {
        RowBinaryWriter writer = new RowBinaryWriter(8);
        assertThatThrownBy(() -> writer.uint32(-1)).hasMessageContaining("UInt32 out of range: -1");
        assertThatThrownBy(() -> writer.uint32(1L << 32)).hasMessageContaining("UInt32 out of range");
        assertThatThrownBy(() -> writer.uint64(-5)).hasMessageContaining("negative");
        assertThat(writer.size()).isZero();
    }
}
