package dev.glimpse.bench;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_CUBIC;

import dev.glimpse.image.PillowResampler;
import dev.glimpse.image.ResampleFilter;
import dev.glimpse.image.RgbImage;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Halving an RGB photo: Glimpse's Pillow-exact BICUBIC and LANCZOS (vector path on 2 threads, and
 * the scalar reference on 1) against OpenCV's resize with INTER_CUBIC and INTER_AREA on 2 threads,
 * in one run. OpenCV is not Pillow-exact (INTER_CUBIC does not antialias); it is the speed bar.
 * Pillow's own time for the same resizes: tools/reference/pillow_resize_bench.py.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ResizeBench {

    @Param({"2048x2048", "4032x3024"})
    public String source;

    private RgbImage image;
    private int halfWidth;
    private int halfHeight;
    private BytePointer nativePixels;
    private Mat mat;
    private Mat resized;
    private Size half;

    @Setup
    public void setUp() {
        String[] wh = source.split("x");
        int w = Integer.parseInt(wh[0]);
        int h = Integer.parseInt(wh[1]);
        image = photo(w, h);
        halfWidth = w / 2;
        halfHeight = h / 2;
        opencv_core.setNumThreads(2);
        nativePixels = new BytePointer(image.pixels());
        mat = new Mat(h, w, CV_8UC3, nativePixels);
        resized = new Mat();
        half = new Size(halfWidth, halfHeight);
    }

    @TearDown
    public void tearDown() {
        half.close();
        resized.close();
        mat.close();
        nativePixels.close();
    }

    @Benchmark
    public RgbImage pillowBicubicVector() {
        return PillowResampler.vector().resize(image, halfWidth, halfHeight, ResampleFilter.BICUBIC);
    }

    @Benchmark
    public RgbImage pillowBicubicScalar() {
        return PillowResampler.scalar().resize(image, halfWidth, halfHeight, ResampleFilter.BICUBIC);
    }

    @Benchmark
    public RgbImage pillowLanczosVector() {
        return PillowResampler.vector().resize(image, halfWidth, halfHeight, ResampleFilter.LANCZOS);
    }

    @Benchmark
    public RgbImage pillowLanczosScalar() {
        return PillowResampler.scalar().resize(image, halfWidth, halfHeight, ResampleFilter.LANCZOS);
    }

    @Benchmark
    public Mat opencvCubic() {
        opencv_imgproc.resize(mat, resized, half, 0, 0, INTER_CUBIC);
        return resized;
    }

    @Benchmark
    public Mat opencvArea() {
        opencv_imgproc.resize(mat, resized, half, 0, 0, INTER_AREA);
        return resized;
    }

    /** Gradients plus noise: resampling cost does not depend on content, but keep it photo-like. */
    private static RgbImage photo(int w, int h) {
        SplittableRandom random = new SplittableRandom(42);
        byte[] px = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = (y * w + x) * 3;
                px[i] = (byte) Math.clamp(x * 220L / w + random.nextInt(-12, 13), 0, 255);
                px[i + 1] = (byte) Math.clamp(y * 200L / h + random.nextInt(-12, 13), 0, 255);
                px[i + 2] = (byte) Math.clamp((x + y) * 150L / (w + h) + 50 + random.nextInt(-12, 13), 0, 255);
            }
        }
        return new RgbImage(w, h, px);
    }
}
