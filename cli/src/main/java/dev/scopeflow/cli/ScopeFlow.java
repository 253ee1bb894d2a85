package dev.scopeflow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code scopeflow} command. Each subcommand is a thin shell over a public static method. */
@Command(
        name = "scopeflow",
        mixinStandardHelpOptions = true,
        version = "scopeflow 0.1.0",
        description = "Streaming sparse-autoencoder feature statistics for Gemma 2 on Kafka, Flink and ClickHouse.",
        subcommands = {
            DemoCommand.class,
            QueryCommand.class,
            ServicesCommand.class,
            StatsCommand.class,
            CaptureCommand.class,
            EnqueueCommand.class,
            ProduceCommand.class,
            WorkerCommand.class,
            PublishCommand.class,
            RunJobCommand.class,
            RunCommand.class,
            LogitEffectsCommand.class,
            EvalCommand.class,
            DashboardCommand.class
        })
public final class ScopeFlow {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ScopeFlow());
        // Errors a user can fix are printed as one clear line, not a stack trace.
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("scopeflow: " + rootMessage(e));
            if (Boolean.getBoolean("scopeflow.debug")) {
                e.printStackTrace(commandLine.getErr());
            }
            return 1;
        });
        return cli;
    }

    private static String rootMessage(Throwable e) {
        String message = e.getMessage();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof IllegalStateException || t instanceof IllegalArgumentException) {
                return t.getMessage();
            }
        }
        return message == null ? e.toString() : message;
    }
}
