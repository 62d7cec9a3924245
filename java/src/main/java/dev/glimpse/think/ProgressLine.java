package dev.glimpse.think;

/** A one-line progress bar redrawn in place with a carriage return. */
final class ProgressLine {

    private static final int WIDTH = 30;

    private ProgressLine() {
    }

    static String render(String label, int done, int total, int correct, long elapsedNanos) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        double seconds = elapsedNanos / 1e9;
        double eta = done == 0 ? 0 : seconds / done * (total - done);
        return String.format("\r%-8s [%s%s] %d/%d  acc %.1f%%  %.1fs elapsed, ~%.0fs left   ", label,
                "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, 100.0 * correct / Math.max(1, done),
                seconds, eta);
    }
}
