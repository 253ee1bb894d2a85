package dev.scopeflow.cli;

import dev.scopeflow.cluster.ServiceEndpoints;
import dev.scopeflow.schemas.clickhouse.ClickHouseLogin;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A {@link ServiceResolver.Machine} that starts nothing and records what it was asked to do. */
final class TestingMachine implements ServiceResolver.Machine {

    static final String STARTED_KAFKA = "127.0.0.1:1111";
    static final String STARTED_CLICKHOUSE = "http://127.0.0.1:2222";
    static final ClickHouseLogin WRITER = new ClickHouseLogin("w", "wpass");
    static final ClickHouseLogin READER = new ClickHouseLogin("r", "rpass");

    final List<String> calls = new ArrayList<>();
    private final Optional<ServiceEndpoints> running;
    private final RuntimeException migrationFailure;

    private TestingMachine(Optional<ServiceEndpoints> running, RuntimeException migrationFailure) {
        this.running = running;
        this.migrationFailure = migrationFailure;
    }

    /** Nothing runs from any work dir. */
    static TestingMachine idle() {
        return new TestingMachine(Optional.empty(), null);
    }

    /** {@code scopeflow services start} runs from the work dir at these endpoints. */
    static TestingMachine running(String kafka, String clickHouse) {
        return new TestingMachine(Optional.of(new ServiceEndpoints(kafka, clickHouse, WRITER, READER)), null);
    }

    /** Nothing runs, and migrations fail with {@code failure}. */
    static TestingMachine failingMigrations(RuntimeException failure) {
        return new TestingMachine(Optional.empty(), failure);
    }

    @Override
    public Optional<ServiceEndpoints> running(Path workDir) {
        calls.add("running " + workDir.getFileName());
        return running;
    }

    @Override
    public ServiceResolver.Started start(Path workDir, boolean kafka, boolean clickHouse) {
        String what = (kafka ? "kafka" : "") + (kafka && clickHouse ? "+" : "") + (clickHouse ? "clickhouse" : "");
        calls.add("start " + what);
        return new ServiceResolver.Started(
                new ServiceEndpoints(
                        kafka ? STARTED_KAFKA : null,
                        clickHouse ? STARTED_CLICKHOUSE : null,
                        clickHouse ? WRITER : null,
                        clickHouse ? READER : null),
                () -> calls.add("stop " + what));
    }

    @Override
    public List<Integer> migrate(String clickHouseUrl, ClickHouseLogin writer, String database) {
        calls.add("migrate " + clickHouseUrl + " " + (writer == null ? "default" : writer.user()) + " " + database);
        if (migrationFailure != null) {
            throw migrationFailure;
        }
        return List.of();
    }
}
