package dev.glimpse.image;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Pillow's {@code Image.resize} with BICUBIC or LANCZOS on RGB images, byte for byte (Pillow 12.3,
 * SPEC §2.3): two one-axis passes in 22-bit fixed point, each into an 8-bit image; horizontal first
 * except for images more than 100 times taller than wide that shrink in height; a pass whose axis
 * keeps its size is skipped. {@link #vector()} is the fast path (Vector API, rows split over a small
 * pool); {@link #scalar()} is the plain reference it is tested against.
 */
public final class PillowResampler {

    /** Passes with fewer output bytes than this run on the calling thread alone. */
    private static final int MIN_PARALLEL_BYTES = 1 << 16;

    private static final PillowResampler SCALAR = new PillowResampler(new ScalarResamplePass(), 1);
    private static final PillowResampler VECTOR = new PillowResampler(new VectorResamplePass(),
            Math.min(2, Runtime.getRuntime().availableProcessors()));

    private final ResamplePass pass;
    private final int threads;
    private ExecutorService pool; // threads - 1 workers; the caller runs one share itself

    PillowResampler(ResamplePass pass, int threads) {
        this.pass = pass;
        this.threads = Math.max(1, threads);
    }

    /** The Vector API implementation, parallel over rows on up to 2 threads. */
    public static PillowResampler vector() {
        return VECTOR;
    }

    /** The plain single-threaded reference implementation. */
    public static PillowResampler scalar() {
        return SCALAR;
    }

    /** {@code image} resized to width × height as Pillow's {@code image.resize((width, height), filter)}. */
    public RgbImage resize(RgbImage image, int width, int height, ResampleFilter filter) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("cannot resize " + image + " to " + width + "x" + height
                    + ": both sides must be at least 1 pixel");
        }
        // Pillow >= 12.3 (Image.resize): very tall images shrinking in height go vertical-first.
        boolean verticalFirst = image.height() > 100L * image.width() && height < image.height();
        RgbImage out = image;
        if (verticalFirst) {
            out = resizeVertically(out, height, filter);
            out = resizeHorizontally(out, width, filter);
        } else {
            out = resizeHorizontally(out, width, filter);
            out = resizeVertically(out, height, filter);
        }
        return out == image ? new RgbImage(width, height, image.pixels().clone()) : out;
    }

    private RgbImage resizeHorizontally(RgbImage in, int width, ResampleFilter filter) {
        if (width == in.width()) {
            return in;
        }
        ResampleCoefficients c = ResampleCoefficients.compute(in.width(), width, filter);
        RgbImage out = RgbImage.blank(width, in.height());
        forRows(in.height(), width, (y0, y1) -> pass.horizontal(in.pixels(), in.width(), out.pixels(), c, y0, y1));
        return out;
    }

    private RgbImage resizeVertically(RgbImage in, int height, ResampleFilter filter) {
        if (height == in.height()) {
            return in;
        }
        ResampleCoefficients c = ResampleCoefficients.compute(in.height(), height, filter);
        RgbImage out = RgbImage.blank(in.width(), height);
        forRows(height, in.width(), (y0, y1) -> pass.vertical(in.pixels(), out.pixels(), in.width(), c, y0, y1));
        return out;
    }

    private interface RowRange {
        void run(int y0, int y1);
    }

    /** Runs rows [0, rows) in up to {@code threads} contiguous shares, one on the calling thread. */
    private void forRows(int rows, int width, RowRange task) {
        int shares = (int) Math.min(Math.min(threads, rows), Math.max(1, (long) rows * width * 3 / MIN_PARALLEL_BYTES));
        if (shares <= 1) {
            task.run(0, rows);
            return;
        }
        List<Future<?>> others = new ArrayList<>(shares - 1);
        for (int s = 1; s < shares; s++) {
            int y0 = (int) ((long) rows * s / shares);
            int y1 = (int) ((long) rows * (s + 1) / shares);
            others.add(pool().submit(() -> task.run(y0, y1)));
        }
        task.run(0, (int) ((long) rows / shares));
        for (Future<?> f : others) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while resampling", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("resample worker failed", e.getCause());
            }
        }
    }

    private synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "glimpse-resample");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }
}
