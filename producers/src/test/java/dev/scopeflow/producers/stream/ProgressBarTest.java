package dev.scopeflow.producers.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void ratesAndEtaCountFromStartNotFromConstructionSoModelLoadingIsLeftOut() {
        AtomicLong nanos = new AtomicLong();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(
                new PrintStream(bytes, true, StandardCharsets.UTF_8), Duration.ofSeconds(1), nanos::get);
        nanos.set(Duration.ofSeconds(60).toNanos()); // loading the model
        bar.start();
        nanos.addAndGet(Duration.ofSeconds(10).toNanos());
        bar.update(3, 1000, 0.25);
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .contains("1,000 tokens")
                .contains("100 tok/s")
                .contains("ETA 00:00:30");
    }

    @Test
    void anUnknownFractionShowsNoPercentageAndNoEta() {
        assertThat(ProgressBar.line(3, 1000, Double.NaN, 10))
                .contains("?%")
                .doesNotContain("NaN")
                .contains("ETA --:--:--")
                .contains("100 tok/s");
        assertThat(ProgressBar.line(3, 1000, 0.5, 10)).contains(" 50.0%").contains("ETA 00:00:10");
    }
}
