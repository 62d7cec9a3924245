package dev.glimpse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    private static String run(long total, long... steps) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 1000);
        for (long done : steps) {
            bar.update(done, total, Path.of("/m/model-00001-of-00002.safetensors"));
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void silentForSmallCheckpoints() {
        assertEquals("", run(1000, 0, 500, 1000));
    }

    @Test
    void drawsEachPercentOnceAndEndsTheLine() {
        String out = run(4000, 0, 1000, 1001, 2000, 4000);
        assertEquals(4, out.chars().filter(c -> c == '\r').count(), out); // 1001 is still 25%
        assertTrue(out.contains("\rloading [#######.......................]  25% 0.0/0.0 GB model-00001-of-00002"
                + ".safetensors"), out);
        assertTrue(out.endsWith("[##############################] 100% 0.0/0.0 GB model-00001-of-00002.safetensors"
                + System.lineSeparator()), out);
    }
}
