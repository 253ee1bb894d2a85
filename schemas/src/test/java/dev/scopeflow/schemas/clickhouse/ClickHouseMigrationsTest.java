package dev.scopeflow.schemas.clickhouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClickHouseMigrationsTest {

    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        String script = """
                -- header comment; with a semicolon
                CREATE DATABASE IF NOT EXISTS x;

                /* block; comment */ CREATE TABLE x.t (s String DEFAULT 'a;b', `we;ird` UInt8) ENGINE = Log;
                SELECT "q;uoted", 'it\\'s;' -- trailing; comment
                ;
                ;;
                SELECT 1
                """;
        assertThat(ClickHouseMigrations.splitStatements(script))
                .containsExactly(
                        "CREATE DATABASE IF NOT EXISTS x",
                        "CREATE TABLE x.t (s String DEFAULT 'a;b', `we;ird` UInt8) ENGINE = Log",
                        "SELECT \"q;uoted\", 'it\\'s;'",
                        "SELECT 1");
    }

    @Test
    void rejectsUnterminatedQuotesAndComments() {
        assertThatThrownBy(() -> ClickHouseMigrations.splitStatements("SELECT 'abc;"))
                .hasMessageContaining("unterminated ' quote");
        assertThatThrownBy(() -> ClickHouseMigrations.splitStatements("SELECT 1 /* ;"))
                .hasMessageContaining("unterminated /* comment");
    }

    @Test
    void substitutesTheDatabaseAndRejectsOtherPlaceholders() {
        assertThat(ClickHouseMigrations.substitute("CREATE TABLE ${db}.t; -- ${db}", "prod_1", "V9__x.sql"))
                .isEqualTo("CREATE TABLE prod_1.t; -- prod_1");
        assertThatThrownBy(() -> ClickHouseMigrations.substitute("SELECT ${cluster}", "db", "V009__x.sql"))
                .hasMessageContaining("V009__x.sql")
                .hasMessageContaining("${cluster}");
    }

    @Test
    void loadsV001WithTheFourTables() {
        List<ClickHouseMigrations.Migration> migrations = ClickHouseMigrations.load("scopeflow_test");

        ClickHouseMigrations.Migration first = migrations.get(0);
        assertThat(first.version()).isEqualTo(1);
        assertThat(first.name()).isEqualTo("init");
        assertThat(first.file()).isEqualTo("V001__init.sql");
        assertThat(first.statements()).hasSize(5);
        assertThat(first.statements().get(0)).isEqualTo("CREATE DATABASE IF NOT EXISTS scopeflow_test");
        assertThat(first.statements().subList(1, 5))
                .allSatisfy(statement -> assertThat(statement)
                        .startsWith("CREATE TABLE IF NOT EXISTS scopeflow_test.")
                        .doesNotContain("${", "--", ";", "LowCardinality", "DateTime64", "Map(", "TTL"));
        assertThat(first.statements().subList(1, 5))
                .extracting(s -> s.split("[\\s(]+")[5])
                .containsExactly(
                        "scopeflow_test.schema_migrations",
                        "scopeflow_test.runs",
                        "scopeflow_test.saes",
                        "scopeflow_test.feature_stats");
        assertThat(first.statements().get(4))
                .contains("ENGINE = ReplacingMergeTree(version)", "ORDER BY (run_id, sae_id, feature)");
        assertThat(migrations)
                .extracting(ClickHouseMigrations.Migration::version)
                .isSorted()
                .doesNotHaveDuplicates();
    }

    @Test
    void loadsV003WithTheDistributionTables() {
        ClickHouseMigrations.Migration third = ClickHouseMigrations.load("db").get(2);
        assertThat(third.version()).isEqualTo(3);
        assertThat(third.file()).isEqualTo("V003__distributions.sql");
        assertThat(third.statements())
                .extracting(s -> s.split("[\\s(]+")[5])
                .containsExactly("db.feature_histograms", "db.interval_samples");
        assertThat(third.statements())
                .allSatisfy(statement -> assertThat(statement)
                        .contains("ENGINE = ReplacingMergeTree(version)")
                        .doesNotContain("${", "--", ";", "LowCardinality", "DateTime64", "Map(", "TTL"));
    }

    @Test
    void loadsV004WithTheRunSitesTable() {
        ClickHouseMigrations.Migration fourth = ClickHouseMigrations.load("db").get(3);
        assertThat(fourth.version()).isEqualTo(4);
        assertThat(fourth.file()).isEqualTo("V004__run_sites.sql");
        assertThat(fourth.statements())
                .singleElement()
                .satisfies(statement -> assertThat(statement)
                        .startsWith("CREATE TABLE IF NOT EXISTS db.run_sites")
                        .contains("ENGINE = ReplacingMergeTree(recorded_at) ORDER BY (run_id, site)")
                        .doesNotContain("${", "--", ";", "LowCardinality", "DateTime64", "Map(", "TTL"));
    }

    @Test
    void loadsV005WithTheSiteProgressTableAndTheCopyOfRunProgress() {
        ClickHouseMigrations.Migration fifth = ClickHouseMigrations.load("db").get(4);
        assertThat(fifth.version()).isEqualTo(5);
        assertThat(fifth.file()).isEqualTo("V005__site_progress.sql");
        assertThat(fifth.statements()).hasSize(2);
        assertThat(fifth.statements().get(0))
                .startsWith("CREATE TABLE IF NOT EXISTS db.site_progress")
                .contains("ENGINE = ReplacingMergeTree(version) ORDER BY (run_id, site)");
        // Copied once: a second application (after a partial failure) must not add the rows again.
        assertThat(fifth.statements().get(1))
                .startsWith("INSERT INTO db.site_progress")
                .contains("FROM db.run_progress FINAL", "run_id NOT IN (SELECT run_id FROM db.site_progress)");
        assertThat(fifth.statements())
                .allSatisfy(statement -> assertThat(statement)
                        .doesNotContain("${", "--", ";", "LowCardinality", "DateTime64", "Map(", "TTL"));
    }

    @Test
    void loadsV002WithTheJobOutputTables() {
        ClickHouseMigrations.Migration second = ClickHouseMigrations.load("db").get(1);
        assertThat(second.version()).isEqualTo(2);
        assertThat(second.file()).isEqualTo("V002__job_outputs.sql");
        assertThat(second.statements())
                .extracting(s -> s.split("[\\s(]+")[5])
                .containsExactly("db.top_examples", "db.reconstruction_stats", "db.run_progress", "db.documents");
        assertThat(second.statements())
                .allSatisfy(statement -> assertThat(statement)
                        .startsWith("CREATE TABLE IF NOT EXISTS db.")
                        .doesNotContain("${", "--", ";", "LowCardinality", "DateTime64", "Map(", "TTL"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1abc", "a-b", "a.b", "db; DROP", "`x`", "ü"})
    void rejectsDatabaseNamesThatAreNotIdentifiers(String database) {
        assertThatThrownBy(() -> ClickHouseMigrations.load(database))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("database name '" + database + "'");
    }
}
