package dev.glimpse.bench.e2e;

import dev.glimpse.backend.Backend;
import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.generate.VisualInput;
import dev.glimpse.image.RgbImage;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.model.TinyCheckpoint;
import dev.glimpse.model.VisionConfig;
import dev.glimpse.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;

/**
 * Vision-tower encode time of a 448×448 image on a random tower with Qwen2.5-VL-7B's vision sizes
 * (depth 32, hidden 1280, 16 heads, MLP 3420, window attention with full attention every 8th block),
 * F32 and BF16 weights, with the GFLOP/s it achieves (FLOPs counted from the shapes).
 */
final class VisionBench {

    private VisionBench() {
    }

    static void main(String[] args) throws Exception {
        int threads = EndToEnd.threads(args);
        int side = 448;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--side")) {
                side = Integer.parseInt(args[i + 1]);
            }
        }
        RgbImage image = randomImage(side, side, 1);
        System.out.printf("vision bench: 7B vision tower, %d×%d image, %d threads%n", side, side, threads);
        System.out.printf("%-6s %8s %10s %10s %12s %10s%n", "dtype", "tokens", "preproc ms", "encode s", "GFLOP", "GFLOP/s");
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            Path dir = RandomModels.get("vit7b-" + dtype.name().toLowerCase(), TinyCheckpoint.Spec.qwen7bWidths(1, 32, dtype));
            try (Backend backend = new VectorBackend(FloatVector.SPECIES_PREFERRED, threads);
                    Model model = Model.load(dir, backend, LoadProgress.NONE)) {
                VisualInput.encode(model, List.of(randomImage(112, 112, 2))); // warm-up
                VisualInput in = VisualInput.encode(model, List.of(image));
                int[] grid = in.gridsThw().getFirst();
                double gflop = flops(model.config().vision(), grid[1] * grid[2], model.config().text().hiddenSize()) / 1e9;
                double seconds = in.visionNanos() / 1e9;
                System.out.printf("%-6s %8d %10.1f %10.2f %12.1f %10.1f%n", dtype, in.visualTokens(),
                        in.preprocessNanos() / 1e6, seconds, gflop, gflop / seconds);
            }
        }
    }

    /** Multiply-adds ×2 of the tower on n patches: patch embed, blocks (window or full attention), merger. */
    static double flops(VisionConfig c, int n, int outHidden) {
        double C = c.hiddenSize();
        double I = c.intermediateSize();
        double unit = c.spatialMergeSize() * c.spatialMergeSize();
        double windowPatches = Math.pow(c.windowSize() / (double) c.patchSize(), 2);
        double total = 2.0 * n * 1176 * C;
        for (int b = 0; b < c.depth(); b++) {
            boolean full = false;
            for (int f : c.fullAttBlockIndexes()) {
                full |= f == b;
            }
            double keys = full ? n : Math.min(n, windowPatches);
            total += 2.0 * n * C * (3 * C) + 2.0 * n * C * C + 2.0 * n * C * I * 3 + 2.0 * 2 * n * keys * C;
        }
        total += 2.0 * (n / unit) * (unit * C) * (unit * C) + 2.0 * (n / unit) * (unit * C) * outHidden;
        return total;
    }

    static RgbImage randomImage(int w, int h, long seed) {
        byte[] px = new byte[w * h * 3];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) r.nextInt(256);
        }
        return new RgbImage(w, h, px);
    }
}
