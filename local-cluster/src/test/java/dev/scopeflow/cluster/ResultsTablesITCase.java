package dev.scopeflow.cluster;

import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link ResultsTablesContract} on ClickHouse 18.16, the oldest server the results tables must work on. */
class ResultsTablesITCase extends ResultsTablesContract {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.clickHouseOnly();

    @Override
    protected ClickHouseHttp clickHouse() {
        return SERVICES.clickHouse().http();
    }
}
