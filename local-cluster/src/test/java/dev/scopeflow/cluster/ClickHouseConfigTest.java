package dev.scopeflow.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClickHouseConfigTest {

    private final ClickHouseConfig config = new ClickHouseConfig(Path.of("/tmp/sf & co/ch"), 18123, 19000);

    @Test
    void listensOnLoopbackOnlyWithGivenPortsAndNoInterserverPort() {
        String xml = config.configXml();
        assertThat(xml)
                .contains("<listen_host>127.0.0.1</listen_host>")
                .doesNotContain("::")
                .doesNotContain("0.0.0.0");
        assertThat(xml).contains("<http_port>18123</http_port>", "<tcp_port>19000</tcp_port>");
        assertThat(xml).doesNotContain("interserver");
    }

    @Test
    void keepsEverythingUnderItsDirectoryWithEscapedPaths() {
        String xml = config.configXml();
        assertThat(xml)
                .contains(
                        "<path>/tmp/sf &amp; co/ch/data/</path>",
                        "<tmp_path>/tmp/sf &amp; co/ch/tmp/</tmp_path>",
                        "<user_files_path>/tmp/sf &amp; co/ch/user_files/</user_files_path>",
                        "<format_schema_path>/tmp/sf &amp;" + " co/ch/format_schemas/</format_schema_path>",
                        "<log>/tmp/sf &amp; co/ch/log/clickhouse-server.log</log>",
                        "<level>warning</level>",
                        "<mark_cache_size>268435456</mark_cache_size>");
        assertThat(xml).doesNotContain("/var/lib").doesNotContain("/var/log");
    }

    @Test
    void onlyTheWriterAndTheReadOnlyReaderByPasswordHashFromLoopback(@TempDir Path dir) {
        ClickHouseUsers users = ClickHouseUsers.loadOrCreate(dir);
        String xml = config.usersXml(users);
        assertThat(xml)
                .contains(
                        "<scopeflow_writer>",
                        "<scopeflow_reader>",
                        "<readonly>2</readonly>",
                        "<password_sha256_hex>"
                                + ClickHouseUsers.sha256Hex(users.writer().password()),
                        "<password_sha256_hex>"
                                + ClickHouseUsers.sha256Hex(users.reader().password()),
                        "<ip>127.0.0.1</ip>")
                .doesNotContain("<password>", "::/0")
                .doesNotContain(users.writer().password())
                .doesNotContain(users.reader().password());
        assertThat(xml.replaceAll("(?s)<profiles>.*</profiles>", "").replaceAll("(?s)<quotas>.*</quotas>", ""))
                .doesNotContain("<default>");
    }

    @Test
    void sha256HexMatchesAKnownDigest() {
        // echo -n abc | sha256sum
        assertThat(ClickHouseUsers.sha256Hex("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void rejectsEqualOrInvalidPorts() {
        assertThatThrownBy(() -> new ClickHouseConfig(Path.of("x"), 8123, 8123)).hasMessageContaining("must differ");
        assertThatThrownBy(() -> new ClickHouseConfig(Path.of("x"), 0, 9000)).hasMessageContaining("1..65535");
    }

    @Test
    void jdbcUrlCarriesTheLegacyParametersAndTheDatabase() {
        String url = EmbeddedClickHouse.jdbcUrl("127.0.0.1", 18123, "scopeflow", "18.16.1");
        assertThat(url)
                .startsWith("jdbc:clickhouse://127.0.0.1:18123/scopeflow?")
                .contains(
                        "clickhouse.jdbc.v1=true",
                        "server_version=18.16.1",
                        "server_time_zone=UTC",
                        "compress=false",
                        "decompress=false")
                .contains("widen_unsigned_types=true", "format=TabSeparatedWithNamesAndTypes")
                .endsWith(
                        "custom_http_params=default_format%3DTabSeparatedWithNamesAndTypes%2Cmax_query_size%3D268435456%2Cdatabase%3Dscopeflow");
        assertThatThrownBy(() -> EmbeddedClickHouse.jdbcUrl("h", 1, "bad;name", "18.16.1"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
