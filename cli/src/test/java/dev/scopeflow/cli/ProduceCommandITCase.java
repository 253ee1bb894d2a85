package dev.scopeflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.scopeflow.cluster.RealServices;
import dev.scopeflow.schemas.Site;
import dev.scopeflow.schemas.clickhouse.ClickHouseHttp;
import dev.scopeflow.schemas.clickhouse.ClickHouseMigrations;
import dev.scopeflow.schemas.results.RunSitesRows;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code scopeflow produce}'s checks that come before any model is loaded (issue 9, findings 3 and 7): a run id
 * that {@code run_sites} already records is refused unless {@code --append}, and a run id every other command
 * would reject is rejected here too. The Kafka side of the refusal is KafkaProductionITCase's.
 */
class ProduceCommandITCase {

    @RegisterExtension
    static final RealServices SERVICES = RealServices.kafkaAndClickHouse();

    private static final String DB = "produce_it";

    @Test
    void aRunIdWithRecordedSitesIsRefusedUnlessAppending() throws Exception {
        ClickHouseHttp http = SERVICES.clickHouse().http();
        ClickHouseMigrations.apply(http, DB);
        new RunSitesRows()
                .add("taken", Site.parse("res.0"), 48, "m", Instant.now())
                .insertInto(http, DB);
        Path missingModel = SERVICES.workDir().resolve("no-model");
        Path corpus = Files.writeString(SERVICES.workDir().resolve("c.txt"), "paris\n");

        StringWriter refused = new StringWriter();
        int exit = produce(refused, missingModel, corpus, "--run-id", "taken");
        assertThat(exit).isEqualTo(1);
        assertThat(refused.toString())
                .contains("run id 'taken' already has data (" + DB + ".run_sites records sites [res.0])")
                .contains("--append");

        // with --append the check lets it through: what stops it now is the missing checkpoint
        StringWriter appended = new StringWriter();
        assertThat(produce(appended, missingModel, corpus, "--run-id", "taken", "--append"))
                .isEqualTo(1);
        assertThat(appended.toString())
                .contains(missingModel + ": no config.json")
                .doesNotContain("already has data");
    }

    @Test
    void aRunIdOtherCommandsRejectIsRejected() throws Exception {
        StringWriter err = new StringWriter();
        Path corpus = Files.writeString(SERVICES.workDir().resolve("c2.txt"), "paris\n");
        assertThat(produce(err, SERVICES.workDir().resolve("m"), corpus, "--run-id", "my run/1"))
                .isEqualTo(1);
        assertThat(err.toString()).contains("run id 'my run/1' must be 1 to 128 ASCII letters");
    }

    private static int produce(StringWriter err, Path model, Path corpus, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "produce",
                "--model",
                model.toString(),
                "--corpus",
                corpus.toString(),
                "--sites",
                "res.0",
                "--kafka",
                SERVICES.kafka().bootstrapServers(),
                "--database",
                DB));
        args.addAll(SERVICES.clickHouseWriterOptions());
        args.addAll(List.of(more));
        return ScopeFlow.commandLine().setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new));
    }
}
