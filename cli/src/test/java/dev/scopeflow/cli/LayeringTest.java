package dev.scopeflow.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SlicesRuleDefinition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module layering of CONTRIBUTING.md, checked on the compiled classes of every module (cli's classpath
 * holds them all): schemas ← sae-operators ← flink-jobs; schemas ← producers; dashboard reads through schemas;
 * local-cluster only starts services; nothing depends on cli; no cycles between modules.
 */
class LayeringTest {

    private static final String SCHEMAS = "dev.scopeflow.schemas..";
    private static final String SAE = "dev.scopeflow.sae..";
    private static final String PRODUCERS = "dev.scopeflow.producers..";
    private static final String FLINK_JOBS = "dev.scopeflow.flink..";
    private static final String LOCAL_CLUSTER = "dev.scopeflow.cluster..";
    private static final String DASHBOARD = "dev.scopeflow.dashboard..";
    private static final String CLI = "dev.scopeflow.cli..";

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        // Other modules arrive as target/classes under `mvn test` and as their jars under `mvn verify`: jars are
        // imported (only our packages), test classes and test jars are not.
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("dev.scopeflow");
    }

    @Test
    void schemasDependOnNothingOfOurs() {
        noClasses()
                .that()
                .resideInAPackage(SCHEMAS)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(SAE, PRODUCERS, FLINK_JOBS, LOCAL_CLUSTER, DASHBOARD, CLI)
                .check(production);
    }

    @Test
    void saeOperatorsAreFrameworkFree() {
        noClasses()
                .that()
                .resideInAPackage(SAE)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        PRODUCERS,
                        FLINK_JOBS,
                        LOCAL_CLUSTER,
                        DASHBOARD,
                        CLI,
                        "org.apache.flink..",
                        "org.apache.kafka..")
                .check(production);
    }

    @Test
    void producersSitOnSchemasOnly() {
        // SAEs reach the forward only as a SiteReplacement that cli adapts (CONTRIBUTING.md)
        noClasses()
                .that()
                .resideInAPackage(PRODUCERS)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(SAE, FLINK_JOBS, LOCAL_CLUSTER, DASHBOARD, CLI, "org.apache.flink..")
                .check(production);
    }

    @Test
    void flinkJobsSitOnSaeOperatorsAndSchemasOnly() {
        noClasses()
                .that()
                .resideInAPackage(FLINK_JOBS)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(PRODUCERS, LOCAL_CLUSTER, DASHBOARD, CLI)
                .check(production);
    }

    @Test
    void dashboardReadsThroughSchemasOnly() {
        noClasses()
                .that()
                .resideInAPackage(DASHBOARD)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(SAE, PRODUCERS, FLINK_JOBS, LOCAL_CLUSTER, CLI)
                .check(production);
    }

    @Test
    void localClusterOnlyStartsServices() {
        noClasses()
                .that()
                .resideInAPackage(LOCAL_CLUSTER)
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(SAE, PRODUCERS, FLINK_JOBS, DASHBOARD, CLI)
                .check(production);
    }

    @Test
    void packagesWithinModulesHaveNoCycles() {
        SlicesRuleDefinition.slices()
                .matching("dev.scopeflow.(**)")
                .should()
                .beFreeOfCycles()
                .check(production);
    }

    @Test
    void modulesHaveNoCycles() {
        SlicesRuleDefinition.slices()
                .matching("dev.scopeflow.(*)..")
                .should()
                .beFreeOfCycles()
                .check(production);
    }
}
