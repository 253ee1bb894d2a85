package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class QuerySqlTest {

    @Test
    void readsPassIncludingSemicolonsInsideLiteralsAndComments() {
        for (String sql : new String[] {
            "SELECT 1",
            "  select * from scopeflow.runs FINAL;",
            "WITH 1 AS x SELECT x",
            "(SELECT 1)",
            "SHOW TABLES",
            "DESCRIBE scopeflow.runs",
            "EXISTS TABLE scopeflow.runs",
            "SELECT 'a;b', \"c;d\", `e;f` -- trailing; comment",
            "/* DROP TABLE x; */ SELECT 'it''s; fine', 'esc\\'; still'",
        }) {
            assertThatCode(() -> QuerySql.check(sql, false)).as(sql).doesNotThrowAnyException();
        }
    }

    @Test
    void writesNeedAllowWrites() {
        for (String sql : new String[] {
            "DROP TABLE scopeflow.runs",
            "insert into scopeflow.runs VALUES (1)",
            "CREATE TABLE x (a UInt8) ENGINE = Memory",
            "ALTER TABLE scopeflow.runs DELETE WHERE 1",
            "TRUNCATE TABLE scopeflow.runs",
            "-- comment\n/* and another */ DROP DATABASE scopeflow",
            "OPTIMIZE TABLE scopeflow.runs FINAL",
            "SET readonly = 0",
        }) {
            assertThatThrownBy(() -> QuerySql.check(sql, false))
                    .as(sql)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--allow-writes");
            assertThatCode(() -> QuerySql.check(sql, true)).as(sql).doesNotThrowAnyException();
        }
    }

    @Test
    void multipleStatementsAreRefusedEvenWithAllowWrites() {
        for (String sql : new String[] {
            "SELECT 1; DROP TABLE scopeflow.runs",
            "SELECT 1;SELECT 2",
            "SELECT ';'; DROP TABLE x",
            "SELECT 1 /* ; */ ; DROP TABLE x",
        }) {
            for (boolean allowWrites : new boolean[] {false, true}) {
                assertThatThrownBy(() -> QuerySql.check(sql, allowWrites))
                        .as(sql)
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("one statement");
            }
        }
        assertThatThrownBy(() -> QuerySql.check("  -- nothing\n", false)).hasMessageContaining("no SQL");
    }
}
