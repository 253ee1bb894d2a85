package dev.scopeflow.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Parses {@link ServiceOptions} from arguments the way a command's command line does, without the command. */
final class TestingServiceOptions {

    private TestingServiceOptions() {}

    static ServiceOptions parse(ServiceOptions options, String... args) {
        new CommandLine(new Holder(options)).parseArgs(args);
        return options;
    }

    @Command(name = "testing")
    static final class Holder {
        @Mixin
        ServiceOptions options;

        Holder(ServiceOptions options) {
            this.options = options;
        }
    }
}
