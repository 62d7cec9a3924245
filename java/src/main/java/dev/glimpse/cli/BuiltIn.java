package dev.glimpse.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** The demo model and evaluation split that ship with Glimpse (models/minivt, data/minivt/seed1). */
final class BuiltIn {

    private BuiltIn() {
    }

    /** The checkout Glimpse runs from: the launcher passes it; tests run from java/. */
    static Path home() {
        String home = System.getProperty("glimpse.home");
        if (home != null) {
            return Path.of(home);
        }
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("models")) ? here : here.getParent();
    }

    static Path model() {
        return require(home().resolve("models/minivt"), "config.json");
    }

    static Path evalSplit() {
        return require(home().resolve("data/minivt/seed1"), "data.jsonl").resolve("data.jsonl");
    }

    private static Path require(Path dir, String file) {
        if (!Files.isRegularFile(dir.resolve(file))) {
            throw new IllegalStateException("no built-in model or evaluation split at " + dir + " (" + file
                    + " missing) in this build: pass --model DIR and --data FILE.jsonl");
        }
        return dir;
    }
}
