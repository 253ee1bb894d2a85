package dev.scopeflow.flink.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.scopeflow.schemas.DownstreamSums;
import dev.scopeflow.schemas.results.SiteProgressRows;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The sinks' committables survive Flink's checkpoint round trip, and foreign bytes fail with a clear message. */
class CommittableSerializersTest {

    @Test
    void runProgressRoundTrips() throws IOException {
        RunProgress.Serializer serializer = new RunProgress.Serializer();
        RunProgress p = new RunProgress("run-ü", "res.20", 12, 3_000_000_000L, 4);
        RunProgress back = serializer.deserialize(serializer.getVersion(), serializer.serialize(p));
        assertThat(back).usingRecursiveComparison().isEqualTo(p);
    }

    @Test
    void runProgressOfVersionOneIsPerRunWithNoSite() throws IOException {
        // Version 1's layout, written by hand: run id, records, tokens, dead letters.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF("run");
            out.writeLong(5);
            out.writeLong(6);
            out.writeLong(7);
        }
        RunProgress back = new RunProgress.Serializer().deserialize(1, bytes.toByteArray());
        assertThat(back)
                .usingRecursiveComparison()
                .isEqualTo(new RunProgress("run", SiteProgressRows.NO_SITE, 5, 6, 7));
    }

    @Test
    void statsSnapshotRoundTrips() throws IOException {
        SaeStatsSnapshot.Serializer serializer = new SaeStatsSnapshot.Serializer();
        SaeStatsSnapshot s = new SaeStatsSnapshot();
        s.runId = "run";
        s.saeId = "res.20/16k";
        s.version = 987_654_321_012L;
        s.state = new byte[70_000];
        Arrays.fill(s.state, (byte) 7);
        SaeStatsSnapshot back = serializer.deserialize(serializer.getVersion(), serializer.serialize(s));
        assertThat(back).usingRecursiveComparison().isEqualTo(s);
    }

    @Test
    void downstreamTotalsRoundTripBitForBit() throws IOException {
        SaeDownstream.Serializer serializer = new SaeDownstream.Serializer();
        SaeDownstream d = new SaeDownstream(
                "run", "l20/16k", "res.20", 9, new DownstreamSums(1023, 0.1 + 0.2, Math.PI, -0.0, 1e-300, 7.0 / 3));
        SaeDownstream back = serializer.deserialize(serializer.getVersion(), serializer.serialize(d));
        assertThat(back).usingRecursiveComparison().isEqualTo(d);
        assertThat(back.sums()).isEqualTo(d.sums());
        assertThatThrownBy(() -> serializer.deserialize(2, serializer.serialize(d)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown SaeDownstream version 2");
        byte[] bytes = serializer.serialize(d);
        assertThatThrownBy(() -> serializer.deserialize(1, Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IOException.class);
    }

    @Test
    void unknownVersionsAndTruncatedBytesAreRejected() throws IOException {
        RunProgress.Serializer progress = new RunProgress.Serializer();
        byte[] bytes = progress.serialize(new RunProgress("run", "res.20", 1, 2, 3));
        assertThatThrownBy(() -> progress.deserialize(3, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown RunProgress version 3");
        assertThatThrownBy(() -> progress.deserialize(2, Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(IOException.class);

        SaeStatsSnapshot.Serializer stats = new SaeStatsSnapshot.Serializer();
        SaeStatsSnapshot s = new SaeStatsSnapshot();
        s.runId = "run";
        s.saeId = "sae";
        s.state = new byte[] {1, 2, 3};
        byte[] statsBytes = stats.serialize(s);
        assertThatThrownBy(() -> stats.deserialize(9, statsBytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown SaeStatsSnapshot version 9");
        assertThatThrownBy(() -> stats.deserialize(1, Arrays.copyOf(statsBytes, statsBytes.length - 2)))
                .isInstanceOf(IOException.class);
    }
}
