package dev.glimpse.cli;

import java.io.UncheckedIOException;
import picocli.CommandLine;

/** Exit codes and the one-line error report every command shares (DESIGN: conventions). */
final class Cli {

    static final int BAD_INPUT = 1;
    static final int BAD_USAGE = 2;

    private Cli() {
    }

    /** A flag combination or value that cannot work; exit 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) {
            super(message);
        }
    }

    /** Prints one clear line (a stack trace only with --verbose) and picks the exit code. */
    static CommandLine.IExecutionExceptionHandler errorHandler(boolean verbose) {
        return (e, commandLine, parseResult) -> {
            if (verbose) {
                e.printStackTrace(System.err);
            }
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            String message = cause.getMessage() == null ? cause.toString() : cause.getMessage();
            System.err.println("glimpse " + commandLine.getCommandName() + ": " + message);
            return e instanceof UsageError ? BAD_USAGE : BAD_INPUT;
        };
    }
}
