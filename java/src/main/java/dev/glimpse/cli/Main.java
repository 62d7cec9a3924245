package dev.glimpse.cli;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Entry point of the glimpse command line. */
@Command(name = "glimpse", mixinStandardHelpOptions = true, version = "glimpse 0.1.0",
        description = "Adaptive-resolution vision-language inference (Qwen2.5-VL, VisionThink).",
        subcommands = {GenerateCommand.class, AskCommand.class, EmbedCommand.class, EvalCommand.class, InspectCommand.class, MakeTinyCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Show stack traces on errors.")
    boolean verbose;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 bad input, 2 bad usage). */
    public static int run(String... args) {
        boolean verbose = Arrays.asList(args).contains("--verbose");
        return new CommandLine(new Main())
                .setExecutionExceptionHandler(Cli.errorHandler(verbose))
                .execute(args);
    }
}
