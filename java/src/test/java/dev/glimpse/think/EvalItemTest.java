package dev.glimpse.think;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DESIGN's scoring rule: lower-cased, trimmed of whitespace and final punctuation, then equal. */
class EvalItemTest {

    private static EvalItem item(String answer) {
        return new EvalItem(Path.of("x.png"), "q", answer, null);
    }

    @Test
    void normalizationFollowsDesign() {
        assertTrue(item("red").correct(" Red. "));
        assertTrue(item("42").correct("42 !"));
        assertTrue(item("Blue").correct("blue?!"));
        assertFalse(item("3.5").correct("3"), "inner punctuation counts");
        assertFalse(item("red").correct("dark red"), "exact, not contains");
    }

    @Test
    void linesAreReadRelativeToTheFileAndCheckedField(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("set.jsonl");
        Files.createDirectories(dir.resolve("img"));
        Files.write(dir.resolve("img/a.png"), new byte[] {1});
        Files.writeString(f, "{\"image\": \"img/a.png\", \"question\": \"q\", \"answer\": \"a\", \"kind\": \"fine\"}\n\n");
        EvalItem only = EvalItem.readJsonl(f).getFirst();
        assertEquals(dir.resolve("img/a.png").toAbsolutePath(), only.image());
        assertEquals("fine", only.kind());
        Files.writeString(f, "{\"image\": \"a.png\", \"answer\": \"a\"}\n");
        IOException missing = assertThrows(IOException.class, () -> EvalItem.readJsonl(f));
        assertTrue(missing.getMessage().contains("line 1") && missing.getMessage().contains("question"), missing.getMessage());
        Files.writeString(f, "{not json\n");
        assertThrows(IOException.class, () -> EvalItem.readJsonl(f));
        Files.writeString(f, "{\"image\": \"gone.png\", \"question\": \"q\", \"answer\": \"a\"}\n");
        IOException gone = assertThrows(IOException.class, () -> EvalItem.readJsonl(f));
        assertTrue(gone.getMessage().contains("gone.png"), gone.getMessage());
    }
}
