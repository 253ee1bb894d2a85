package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ServicesLockFileTest {

    @Test
    void roundTripsThroughItsTextForm() {
        ServicesLockFile lock = ServicesLockFile.forCurrentJvm(19092, 19093, 18123, 19000)
                .withKafkaPid(41)
                .withClickHousePid(42);
        assertThat(ServicesLockFile.parse(lock.format())).isEqualTo(lock);
    }

    @Test
    void twoOwnersInOneJvmAreToldApartByTheirToken() {
        ServicesLockFile first = ServicesLockFile.forCurrentJvm(1, 2, 3, 4);
        ServicesLockFile second = ServicesLockFile.forCurrentJvm(1, 2, 3, 4);
        assertThat(first.sameOwner(first.withKafkaPid(9))).isTrue();
        assertThat(first.sameOwner(second)).isFalse();
        assertThat(ServicesLockFile.parse(first.format()).sameOwner(first)).isTrue();
    }

    @Test
    void pidsAreOptionalUntilTheServiceStarted() {
        ServicesLockFile lock = ServicesLockFile.parse("owner.pid=7\nkafka.port=19092\nclickhouse.http.port=18123\n");
        assertThat(lock.kafkaPid()).isEmpty();
        assertThat(lock.clickHousePid()).isEmpty();
        assertThat(ServicesLockFile.describePid(lock.kafkaPid())).isEqualTo("not started");
    }

    @Test
    void garbageIsRejectedWithTheOffendingKey() {
        assertThatThrownBy(() -> ServicesLockFile.parse("kafka.port=1\n")).hasMessageContaining("owner.pid");
        assertThatThrownBy(() -> ServicesLockFile.parse("owner.pid=x\nkafka.port=1\nclickhouse.http.port=2"))
                .hasMessageContaining("owner.pid");
    }

    @Test
    void ownerIsAliveOnlyWithMatchingPidAndStartTime() {
        ServicesLockFile mine = ServicesLockFile.forCurrentJvm(1, 2, 3, 4);
        assertThat(mine.ownerAlive()).isTrue();
        ServicesLockFile reusedPid = new ServicesLockFile(
                mine.ownerPid(),
                mine.ownerStartMillis() - 3_600_000,
                mine.ownerToken(),
                OptionalLong.empty(),
                1,
                2,
                OptionalLong.empty(),
                3,
                4);
        assertThat(reusedPid.ownerAlive()).isFalse();
    }

    @Test
    void alreadyRunningMessageSaysWhatToDo() {
        ServicesLockFile lock =
                ServicesLockFile.forCurrentJvm(1, 2, 3, 4).withKafkaPid(11).withClickHousePid(12);
        assertThat(LocalServices.alreadyRunning(Path.of("/w/.scopeflow"), lock))
                .hasMessageStartingWith(
                        "ScopeFlow services already running from /w/.scopeflow (kafka pid 11," + " clickhouse pid 12")
                .hasMessageEndingWith(
                        "use them (--work-dir /w/.scopeflow), or run `scopeflow services stop --work-dir /w/.scopeflow` first");
    }

    @Test
    void optionsRejectSharedPorts() {
        assertThatThrownBy(
                        () -> LocalServices.options().clickHouseTcpPort(19092).build())
                .hasMessageContaining("Ports must all differ");
        assertThat(LocalServices.options().build().workDir())
                .isEqualTo(Path.of(".scopeflow").toAbsolutePath().normalize());
    }
}
