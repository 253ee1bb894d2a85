package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.schemas.results.NamedQueries;
import dev.scopeflow.schemas.results.NamedQuery;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scopeflow query --list-named} and the checks of {@code --named}/{@code --param}, which all happen before
 * any service is looked for: the work dir stays empty.
 */
class NamedQueryOptionsTest {

    @TempDir
    Path workDir;

    @Test
    void listNamedShowsEveryQueryWithEveryParameter() {
        CommandRun.Output output = CommandRun.execute("query", "--list-named");
        assertThat(output.exit()).as(output.err()).isZero();
        for (NamedQuery query : NamedQueries.all()) {
            assertThat(output.out()).contains(query.name() + ": " + query.description());
            for (NamedQuery.Parameter p : query.parameters()) {
                assertThat(output.out())
                        .contains("--param " + p.name() + "=<" + p.type().label() + ">");
            }
        }
        assertThat(output.out()).contains("(default 5)").contains("(required)");
    }

    @Test
    void mistakesAreNamedBeforeAnyServiceIsStarted() {
        assertError("no named query 'nope'; there are: features-at-token,", "--named", "nope");
        assertError(
                "query 'feature-tokens' needs parameter 'feature'",
                "--named",
                "feature-tokens",
                "--param",
                "run=r",
                "--param",
                "sae=s");
        assertError(
                "parameter 'feature' of query 'feature-tokens' must be an integer ≥ 0, got -1",
                "--named",
                "feature-tokens",
                "--param",
                "run=r",
                "--param",
                "sae=s",
                "--param",
                "feature=-1");
        assertError(
                "parameter 'n' of query 'feature-tokens' must be an integer ≥ 0, got 'ten'",
                "--named",
                "feature-tokens",
                "--param",
                "run=r",
                "--param",
                "sae=s",
                "--param",
                "feature=1",
                "--param",
                "n=ten");
        assertError(
                "query 'feature-tokens' has no parameter 'doc'; its parameters: run, sae, feature, n",
                "--named",
                "feature-tokens",
                "--param",
                "doc=1");
        assertError("--param is for --named queries", "--param", "run=r", "SELECT 1");
        assertError("either SQL or --named NAME", "--named", "feature-tokens", "SELECT 1");
        assertError("either SQL or --named NAME");
        assertError("--format must be tsv, table, csv or json, got 'xml'", "--format", "xml", "SELECT 1");
        assertThat(workDir).isEmptyDirectory();
    }

    private void assertError(String message, String... args) {
        String[] line = new String[args.length + 3];
        line[0] = "query";
        line[1] = "--work-dir";
        line[2] = workDir.toString();
        System.arraycopy(args, 0, line, 3, args.length);
        CommandRun.Output output = CommandRun.execute(line);
        assertThat(output.exit()).as(String.join(" ", args)).isNotZero();
        assertThat(output.err()).as(String.join(" ", args)).contains(message);
    }
}
