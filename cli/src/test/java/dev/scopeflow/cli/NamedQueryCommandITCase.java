package dev.scopeflow.cli;

import static dev.scopeflow.cluster.ActivationStoreFixture.RUN;
import static dev.scopeflow.cluster.ActivationStoreFixture.SAE;
import static dev.scopeflow.cluster.ActivationStoreFixture.assertRows;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.scopeflow.cluster.ActivationStoreFixture;
import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.clickhouse.QueryResult;
import dev.scopeflow.schemas.format.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code scopeflow query --named} on a real ClickHouse 18.16 holding a random activation store: the rows it prints
 * as CSV, JSON and a table, read back, equal the brute-force answer (local-cluster's NamedQueriesITCase checks
 * every query; this checks the command and its formats).
 */
class NamedQueryCommandITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.clickHouseOnly();

    private static final String DB = "named_cli";
    private static final ActivationStoreFixture STORE = new ActivationStoreFixture(5);
    /** The densest feature: low indices fire most often in the fixture. */
    private static final int FEATURE = 0;

    @BeforeAll
    static void writeTheStore() {
        ClickHouseMigrations.apply(SERVICES.clickHouse().http(), DB);
        STORE.insertInto(SERVICES.clickHouse().http(), DB);
    }

    @Test
    void csvRowsEqualTheBruteForceAnswer() {
        String out = named("csv", "feature-tokens", "feature=" + FEATURE, "n=1000");
        List<String> lines = out.lines().toList();
        assertThat(lines.get(0)).isEqualTo("token_id,fires,mean_activation,max_activation");
        List<List<String>> rows = lines.subList(1, lines.size()).stream()
                .map(line -> Arrays.asList(line.split(",", -1)))
                .toList();
        assertRows(result(lines.get(0).split(","), rows), STORE.featureTokens(FEATURE, 1000), "csv");
    }

    @Test
    void jsonRowsEqualTheBruteForceAnswer() throws Exception {
        JsonNode json = Json.parse(named("json", "co-occurring-features", "feature=" + FEATURE));
        String[] columns = {"feature", "co_fires", "fires", "f_fires", "jaccard"};
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode object : json) {
            assertThat(object.get("jaccard").isNumber()).isTrue();
            List<String> row = new ArrayList<>();
            for (String column : columns) {
                row.add(object.get(column).asText());
            }
            rows.add(row);
        }
        assertRows(result(columns, rows), STORE.coOccurringFeatures(FEATURE, 20), "json");
    }

    @Test
    void tableIsTheDefaultAndItsRowsEqualTheBruteForceAnswer() {
        long doc = STORE.documents().keySet().iterator().next();
        String out = named(null, "top-features-per-token", "doc=" + doc, "to=20", "n=2");
        Iterator<String> lines = out.lines().iterator();
        String[] header = lines.next().strip().split("\\s+");
        assertThat(header).containsExactly("position", "token_id", "feature", "activation");
        assertThat(lines.next()).matches("[- ]+");
        List<List<String>> rows = new ArrayList<>();
        String line;
        while (!(line = lines.next()).startsWith("(")) {
            rows.add(List.of(line.strip().split("\\s+")));
        }
        assertThat(line).isEqualTo("(" + rows.size() + " rows)");
        assertRows(result(header, rows), STORE.topFeaturesPerToken(doc, 0, 20, 2), "table");
    }

    /** Runs {@code query --named} against the class's server; {@code format} null: the default. */
    private static String named(String format, String name, String... params) {
        List<String> line = new ArrayList<>(List.of("query"));
        line.addAll(SERVICES.clickHouseWriterOptions());
        line.addAll(List.of(
                "--database",
                DB,
                "--work-dir",
                SERVICES.workDir().resolve("unused").toString()));
        line.addAll(List.of("--named", name, "--param", "run=" + RUN, "--param", "sae=" + SAE));
        for (String param : params) {
            line.addAll(List.of("--param", param));
        }
        if (format != null) {
            line.addAll(List.of("--format", format));
        }
        CommandRun.Output output = CommandRun.execute(line.toArray(String[]::new));
        assertThat(output.exit()).as(output.err()).isZero();
        assertThat(output.err()).isEmpty();
        return output.out();
    }

    private static QueryResult result(String[] columns, List<List<String>> rows) {
        List<String> names = List.of(columns);
        return new QueryResult(names, names.stream().map(c -> "String").toList(), rows);
    }
}
