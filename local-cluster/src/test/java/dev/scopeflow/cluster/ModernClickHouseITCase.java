package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.FeatureStatsRows;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.ClickHouseContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The production target, a current ClickHouse server, in a container where Docker exists (skipped cleanly where
 * it does not): migrations apply once through its real HTTP interface and users, RowBinary rows land bit-exact,
 * FINAL keeps the highest version. The SQL itself is always tested on current ClickHouse without Docker, through
 * {@link ChdbClickHouse} (cli's {@code ModernClickHouseDialectITCase}), and on 18.16 by the other ITCases.
 */
@Testcontainers(disabledWithoutDocker = true)
class ModernClickHouseITCase {

    @Container
    private static final ClickHouseContainer CLICKHOUSE = new ClickHouseContainer("clickhouse/clickhouse-server:24.8");

    @Test
    void migrationsAndVersionedRowsWorkOnCurrentClickHouse() {
        ClickHouseHttp ch = ClickHouseHttp.builder(
                        "http://" + CLICKHOUSE.getHost() + ":" + CLICKHOUSE.getMappedPort(8123))
                .optCredentials(CLICKHOUSE.getUsername(), CLICKHOUSE.getPassword())
                .build();
        assertThat(ClickHouseMigrations.apply(ch, "modern"))
                .isEqualTo(ClickHouseMigrations.load("modern").stream()
                        .map(ClickHouseMigrations.Migration::version)
                        .toList());
        assertThat(ClickHouseMigrations.apply(ch, "modern")).isEmpty();

        new FeatureStatsRows(1).add("r", "s", 7, 10, 3, 0.1 + 0.2, 1.1f, 10).insertInto(ch, "modern");
        new FeatureStatsRows(1).add("r", "s", 7, 20, 5, Math.PI, 2.5f, 20).insertInto(ch, "modern");

        List<List<String>> rows =
                ch.query("SELECT n_tokens, fire_count, act_sum, act_max FROM modern.feature_stats" + " FINAL");
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).subList(0, 2)).containsExactly("20", "5");
        assertThat(Double.parseDouble(rows.get(0).get(2))).isEqualTo(Math.PI);
        assertThat(Float.parseFloat(rows.get(0).get(3))).isEqualTo(2.5f);
    }
}
