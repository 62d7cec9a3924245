package dev.glimpse.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the glimpse command line. */
@Command(name = "glimpse", mixinStandardHelpOptions = true, version = "glimpse 0.1.0",
        description = "Adaptive-resolution vision-language inference (Qwen2.5-VL, VisionThink).",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
