package dev.glimpse.io;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A one-line text progress bar, redrawn in place with '\r' whenever the whole percentage changes
 * and ended with a newline at 100%. Totals up to {@code minBytes} print nothing: small models load
 * too fast for a bar to help.
 */
final class ProgressBar implements LoadProgress {

    static final long LARGE_CHECKPOINT_BYTES = 1L << 30;
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final long minBytes;
    private int shownPercent = -1;

    ProgressBar(PrintStream out, long minBytes) {
        this.out = out;
        this.minBytes = minBytes;
    }

    @Override
    public void update(long bytesDone, long bytesTotal, Path currentFile) {
        if (bytesTotal <= minBytes) {
            return;
        }
        int percent = (int) Math.min(100, bytesDone * 100 / bytesTotal);
        if (percent == shownPercent) {
            return;
        }
        shownPercent = percent;
        int filled = percent * WIDTH / 100;
        out.printf(Locale.ROOT, "\rloading [%s%s] %3d%% %.1f/%.1f GB %s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                percent, bytesDone / 1e9, bytesTotal / 1e9, currentFile.getFileName());
        if (percent == 100) {
            out.println();
        }
        out.flush();
    }
}
