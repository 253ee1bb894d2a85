package dev.scopeflow.cli;

import dev.scopeflow.cluster.ChdbClickHouse;
import dev.scopeflow.cluster.ResultsTablesContract;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link ResultsTablesContract} on current ClickHouse (chdb 26.x): the migrations create the same column types,
 * as 26.x names them, and every {@code *Rows} insert reads back column by column. Lives beside
 * {@link ModernClickHouseDialectITCase} so that one module installs chdb.
 */
class ModernResultsTablesITCase extends ResultsTablesContract {

    @RegisterExtension
    static final ChdbClickHouse CURRENT = new ChdbClickHouse();

    @Override
    protected ClickHouseHttp clickHouse() {
        return CURRENT.http();
    }
}
