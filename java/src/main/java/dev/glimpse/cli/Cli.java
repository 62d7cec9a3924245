package dev.glimpse.cli;

import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
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

    /** A message that names the file and what happened to it, for I/O errors whose own text is just a path. */
    static String describe(Throwable e) {
        Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
        String prefix = e instanceof UncheckedIOException u && u.getMessage() != null
                && !u.getMessage().equals(String.valueOf(cause)) ? u.getMessage() + ": " : "";
        String what = switch (cause) {
            case NoSuchFileException f -> f.getFile() + ": no such file or directory";
            case AccessDeniedException f -> f.getFile() + ": permission denied";
            case NotDirectoryException f -> f.getFile() + ": not a directory";
            case FileSystemException f -> f.getFile() + ": " + (f.getReason() == null ? "cannot access" : f.getReason());
            default -> cause.getMessage() == null ? cause.toString() : cause.getMessage();
        };
        return prefix.contains(what) ? prefix.substring(0, prefix.length() - 2) : prefix + what;
    }

    /** Fails before any work when a file could not be written at the end (its folder is missing). */
    static void requireWritableParent(Path file, String flag) {
        if (file == null) {
            return;
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
            throw new UsageError(flag + " " + file + ": folder " + parent + " does not exist or is not writable");
        }
    }

    /** Prints one clear line (a stack trace only with --verbose) and picks the exit code. */
    static CommandLine.IExecutionExceptionHandler errorHandler(boolean verbose) {
        return (e, commandLine, parseResult) -> {
            if (verbose) {
                e.printStackTrace(System.err);
            }
            String message = describe(e);
            System.err.println("glimpse " + commandLine.getCommandName() + ": " + message);
            return e instanceof UsageError ? BAD_USAGE : BAD_INPUT;
        };
    }
}
