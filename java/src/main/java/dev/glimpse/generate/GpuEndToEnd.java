package dev.glimpse.generate;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glimpse.backend.Backend;
import dev.glimpse.backend.cpu.VectorBackend;
import dev.glimpse.backend.cuda.CudaBackend;
import dev.glimpse.backend.cuda.CudaException;
import dev.glimpse.image.RgbImage;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.KvCache;
import dev.glimpse.model.MRope;
import dev.glimpse.model.Model;
import dev.glimpse.model.TinyCheckpoint;
import dev.glimpse.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;

/**
 * The GPU suite's end-to-end part (bench/gpu/run.sh): a random checkpoint of Qwen2.5-VL-7B's shapes
 * with few decoder layers, loaded on the CPU backend and twice on the GPU, run through the real model
 * code (VisualInput, Decoder, Session), GPU against CPU (‖gpu − cpu‖/‖cpu‖):
 * <ul>
 * <li>with split activations (CudaBackend.openWithSplitActivations: F32-grade matrix products), to
 * F32 rounding: 1e-3 (a torch model of this random vision tower gives 1.3e-5);</li>
 * <li>as the engine runs by default (activations rounded to bf16 for the tensor cores), to what that
 * rounding costs on this random, chaotic model: the same torch model gives 9.2e-3 after the vision
 * tower and 2.3e-2 on the logits, where a 1e-6 change of the input alone moves a bf16 run by 9e-3;
 * tolerances twice those.</li>
 * </ul>
 * Checked: the vision tower on a 448×448 image, the logits after prefilling a 300-token prompt
 * holding that image, and 16 greedy tokens (identical, or diverging first where the CPU's own top-2
 * margin is within the measured logit error). Then GPU timings through Session at the given and at 2
 * decoder layers, extrapolated to 7B's 28. Prints "end-to-end: N passed, N failed" last; exits 1
 * when a check failed. --dry-run runs the same flow on a tiny checkpoint with CPU backends in the
 * GPU's place (to check the harness without a GPU).
 * Usage: GpuEndToEnd [--layers N] [--dir DIR] [--dry-run]
 */
public final class GpuEndToEnd {

    private static final double EXACT_TOLERANCE = 1e-3;
    private static final double VISION_BF16_TOLERANCE = 2e-2;
    private static final double LOGITS_BF16_TOLERANCE = 5e-2;
    private static final int GREEDY_STEPS = 16;
    private static final int DECODE_STEPS = 64;
    private static final int SPECIAL_TOKENS_FROM = 151_643;  // ids below are ordinary text tokens

    private final Random random = new Random(2025);
    private final List<String> failures = new ArrayList<>();
    private int passed;

    public static void main(String[] args) throws IOException {
        int layers = 4;
        Path dir = null;
        boolean dryRun = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                case "--dir" -> dir = Path.of(args[++i]);
                case "--dry-run" -> dryRun = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (layers < 3) {
            throw new IllegalArgumentException("--layers must be at least 3 (timings subtract a 2-layer run)");
        }
        GpuEndToEnd run = new GpuEndToEnd();
        try {
            if (dryRun) {
                var tiny = new TinyCheckpoint.Spec(64, layers, 4, 2, 128, new int[] {2, 3, 3}, 2, 32, 2, 64,
                        new int[] {1}, dev.glimpse.tensor.DType.BF16, true, 7);
                try (Backend exact = new VectorBackend(FloatVector.SPECIES_128, 2);
                        Backend fast = new VectorBackend(FloatVector.SPECIES_256, 2)) {
                    run.run(dir, tiny, exact, fast);
                }
            } else {
                try (CudaBackend exact = CudaBackend.openWithSplitActivations(); CudaBackend fast = CudaBackend.open()) {
                    System.out.println("gpu: " + fast.describeDevice());
                    run.run(dir, TinyCheckpoint.Spec.qwen7b(layers), exact, fast);
                }
            }
        } catch (CudaException e) {
            System.out.println("FAIL end-to-end: " + e.getMessage());
            run.failures.add("end-to-end");
        }
        System.out.printf("%nend-to-end: %d passed, %d failed%s%n", run.passed, run.failures.size(),
                run.failures.isEmpty() ? "" : " " + run.failures);
        System.exit(run.failures.isEmpty() ? 0 : 1);
    }

    /** RAM-backed /dev/shm when it has room (the checkpoint is written and mapped again at once), else tmp. */
    private static Path scratchDirectory() throws IOException {
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm) && Files.isWritable(shm) && Files.getFileStore(shm).getUsableSpace() > (12L << 30)) {
            return Files.createTempDirectory(shm, "glimpse-e2e-");
        }
        return Files.createTempDirectory("glimpse-e2e-");
    }

    /**
     * exact, fast: the GPU with split and with bf16 activations (or stand-ins for --dry-run). The
     * checkpoints go under parent, or a scratch directory when it is null; they are deleted after.
     */
    private void run(Path parent, TinyCheckpoint.Spec spec, Backend exact, Backend fast) throws IOException {
        Path dir = parent == null ? scratchDirectory() : Files.createDirectories(parent);
        Path full = dir.resolve(spec.layers() + "-layers");
        Path two = dir.resolve("2-layers");
        try {
            long t0 = System.nanoTime();
            TinyCheckpoint.write(full, spec);
            withLayers(full, two, 2);
            System.out.printf(Locale.ROOT, "checkpoint: text hidden %d x %d layers, vision hidden %d x %d blocks, "
                    + "%.2f GB BF16, written in %.1f s to %s%n", spec.hidden(), spec.layers(), spec.visionHidden(),
                    spec.visionDepth(), Files.size(full.resolve("model.safetensors")) / 1e9,
                    seconds(System.nanoTime() - t0), dir);
            checkAndTime(full, two, spec.layers(), exact, fast);
        } finally {
            deleteTree(two);
            deleteTree(full);
            if (parent == null) {
                Files.deleteIfExists(dir);
            }
        }
    }

    private void checkAndTime(Path full, Path two, int layers, Backend exact, Backend fast) {
        try (VectorBackend cpu = new VectorBackend()) {
            System.out.println("checked: " + exact.name() + " and " + fast.name() + " against " + cpu.name());
            long t0 = System.nanoTime();
            Model cpuModel = Model.load(full, cpu, LoadProgress.NONE);
            long t1 = System.nanoTime();
            Model exactModel = Model.load(full, exact, LoadProgress.NONE);
            long t2 = System.nanoTime();
            Model fastModel = Model.load(full, fast, LoadProgress.NONE);
            System.out.printf(Locale.ROOT, "load: cpu %.1f s (mapped), gpu %.1f s%n", seconds(t1 - t0),
                    seconds(t2 - t1));
            try (cpuModel; exactModel; fastModel) {
                Reference reference = reference(cpuModel);
                compare("split", exactModel, reference, EXACT_TOLERANCE, EXACT_TOLERANCE);
                compare("bf16", fastModel, reference, VISION_BF16_TOLERANCE, LOGITS_BF16_TOLERANCE);
                System.out.println();
                System.out.println("== GPU timings through Session (wall clock, greedy, argmax on the GPU) ==");
                Timing at = time(fastModel, "gpu " + layers + " layers");
                Timing at2;
                try (Model fastTwo = Model.load(two, fast, LoadProgress.NONE)) {
                    at2 = time(fastTwo, "gpu 2 layers");
                }
                extrapolate(at, at2, layers);
            }
        }
    }

    // ---- checks ---------------------------------------------------------------------------

    /** What the CPU computes for the image prompt: vision rows, prefill logits, greedy tokens and their margins. */
    private record Reference(RgbImage image, int[] ids, List<int[]> grids, float[] vision, float[] logits,
            int[] tokens, float[] margins) {}

    private Reference reference(Model cpuModel) {
        RgbImage image = randomImage(448, 448);
        VisualInput vision = VisualInput.encode(cpuModel, List.of(image));
        int[] ids = imagePrompt(cpuModel, vision.padsPerImage()[0], 300);
        MRope.Positions positions = MRope.ropeIndex(ids, cpuModel.config().imageTokenId(), vision.gridsThw(), 2, 0);
        KvCache cache = cpuModel.newCache(1024);
        long t0 = System.nanoTime();
        float[] logits = cpuModel.decoder().forward(ids, positions.axes(), vision.embeds(), cache).clone();
        long prefill = System.nanoTime() - t0;
        // Greedy by hand, to see each step's top-2 margin.
        int[] tokens = new int[GREEDY_STEPS];
        float[] margins = new float[GREEDY_STEPS];
        float[] stepLogits = logits;
        int position = positions.next();
        t0 = System.nanoTime();
        for (int s = 0; s < GREEDY_STEPS; s++) {
            tokens[s] = Sampler.argmax(stepLogits, stepLogits.length);
            margins[s] = topTwoMargin(stepLogits);
            if (s + 1 < GREEDY_STEPS) {
                stepLogits = cpuModel.decoder().step(tokens[s], position++, cache);
            }
        }
        long decode = System.nanoTime() - t0;
        System.out.printf(Locale.ROOT, "cpu: vision %.0f ms (first run), prefill 300 tokens %.0f ms, decode %.1f ms/token%n",
                vision.visionNanos() / 1e6, prefill / 1e6, decode / 1e6 / (GREEDY_STEPS - 1));
        System.out.println("     cpu tokens " + Arrays.toString(tokens));
        return new Reference(image, ids, vision.gridsThw(), read(cpuModel.backend(), vision.embeds()), logits, tokens,
                margins);
    }

    private void compare(String mode, Model gpuModel, Reference cpu, double visionTolerance, double logitsTolerance) {
        VisualInput.encode(gpuModel, List.of(cpu.image()));  // warm-up: first launches, scratch growth
        VisualInput vision = VisualInput.encode(gpuModel, List.of(cpu.image()));
        report(mode + ": vision tower 448x448 (1024 patches -> 256 tokens)",
                relativeError(read(gpuModel.backend(), vision.embeds()), cpu.vision()), visionTolerance);
        MRope.Positions positions = MRope.ropeIndex(cpu.ids(), gpuModel.config().imageTokenId(), cpu.grids(), 2, 0);
        float[] logits = gpuModel.decoder().forward(cpu.ids(), positions.axes(), vision.embeds(),
                gpuModel.newCache(1024)).clone();
        double logitsError = relativeError(logits, cpu.logits());
        report(mode + ": prefill logits, 300-token prompt with the image", logitsError, logitsTolerance);
        Round round = new Session(gpuModel, 1024).run(cpu.ids(), cpu.grids(), vision.embeds(), GREEDY_STEPS,
                SamplingOptions.GREEDY, TokenListener.NONE);
        int[] tokens = round.generatedIds();
        int agree = 0;
        while (agree < Math.min(tokens.length, GREEDY_STEPS) && tokens[agree] == cpu.tokens()[agree]) {
            agree++;
        }
        String name = mode + ": greedy tokens, " + GREEDY_STEPS + " steps through Session";
        if (agree == GREEDY_STEPS) {
            report(name + " (identical)", 0, 0);
        } else {
            // A flip is explained when the CPU's own top-2 margin is within a few times the measured logit error.
            double noise = 4 * logitsError * rms(cpu.logits());
            boolean nearTie = cpu.margins()[agree] <= noise;
            System.out.printf(Locale.ROOT, "%-4s %s: agree for %d; at step %d the CPU's top-2 margin %.4f vs logit "
                    + "noise %.4f (%s)%n", nearTie ? "ok" : "FAIL", name, agree, agree, cpu.margins()[agree], noise,
                    nearTie ? "a near-tie" : "not a near-tie");
            if (nearTie) {
                passed++;
            } else {
                failures.add(name);
            }
        }
        System.out.printf(Locale.ROOT, "     %s tokens %s; vision %.1f ms%n", mode, Arrays.toString(tokens),
                vision.visionNanos() / 1e6);
    }

    private void report(String name, double error, double tolerance) {
        boolean ok = error <= tolerance;  // NaN fails
        System.out.printf(Locale.ROOT, "%-4s %-64s rel.err %.2e (tol %.0e)%n", ok ? "ok" : "FAIL", name, error,
                tolerance);
        if (ok) {
            passed++;
        } else {
            failures.add(name);
        }
    }

    // ---- timings --------------------------------------------------------------------------

    /** Milliseconds of one prefill of 300 (image prompt) and 2048 (text) tokens, and per decode step. */
    private record Timing(double prefill300Ms, double prefill2048Ms, double decodeMs) {}

    private Timing time(Model model, String label) {
        RgbImage image = randomImage(448, 448);
        VisualInput vision = VisualInput.encode(model, List.of(image));
        int[] ids = imagePrompt(model, vision.padsPerImage()[0], 300);
        int[] text = textPrompt(2048);
        double prefill300 = Double.MAX_VALUE;
        double prefill2048 = Double.MAX_VALUE;
        double decode = Double.MAX_VALUE;
        int decoded = 0;
        for (int attempt = 0; attempt < 3; attempt++) {  // best of 3: the first pays for warm-up
            Round r = new Session(model, 4096).run(ids, vision.gridsThw(), vision.embeds(), 1, SamplingOptions.GREEDY,
                    TokenListener.NONE);
            prefill300 = Math.min(prefill300, r.prefillNanos() / 1e6);
            Round t = new Session(model, 4096).run(text, List.of(), null, DECODE_STEPS, SamplingOptions.GREEDY,
                    TokenListener.NONE);
            prefill2048 = Math.min(prefill2048, t.prefillNanos() / 1e6);
            int steps = t.generatedIds().length - 1;  // the first token comes from the prefill
            if (steps > 0) {
                decode = Math.min(decode, t.decodeNanos() / 1e6 / steps);
                decoded = steps;
            }
        }
        System.out.printf(Locale.ROOT, "%-13s prefill 300 (image) %7.1f ms = %6.0f tok/s | prefill 2048 %7.1f ms = "
                + "%6.0f tok/s | decode %.2f ms/token = %.1f tok/s (%d steps at ~2k context)%n", label, prefill300,
                300 / prefill300 * 1e3, prefill2048, 2048 / prefill2048 * 1e3, decode, 1e3 / decode, decoded);
        return new Timing(prefill300, prefill2048, decode);
    }

    private static void extrapolate(Timing at, Timing two, int layers) {
        double extra = 28 - layers;
        double perLayer300 = (at.prefill300Ms() - two.prefill300Ms()) / (layers - 2);
        double perLayer2048 = (at.prefill2048Ms() - two.prefill2048Ms()) / (layers - 2);
        double perLayerDecode = (at.decodeMs() - two.decodeMs()) / (layers - 2);
        double p300 = at.prefill300Ms() + extra * perLayer300;
        double p2048 = at.prefill2048Ms() + extra * perLayer2048;
        double d = at.decodeMs() + extra * perLayerDecode;
        System.out.printf(Locale.ROOT, "per layer     prefill 300 %.2f ms, prefill 2048 %.2f ms, decode %.3f ms "
                + "(%d-layer minus 2-layer run)%n", perLayer300, perLayer2048, perLayerDecode, layers);
        System.out.printf(Locale.ROOT, "7B estimate   (28 layers, extrapolated) prefill 300 %.1f ms = %.0f tok/s, "
                + "prefill 2048 %.1f ms = %.0f tok/s, decode %.2f ms/token = %.1f tok/s%n", p300, 300 / p300 * 1e3,
                p2048, 2048 / p2048 * 1e3, d, 1e3 / d);
    }

    // ---- inputs ---------------------------------------------------------------------------

    private RgbImage randomImage(int width, int height) {
        byte[] pixels = new byte[width * height * 3];
        random.nextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    /** Text, vision_start, the image's pad run, vision_end, text: length tokens in all. */
    private int[] imagePrompt(Model model, int pads, int length) {
        int before = 20;
        int[] ids = textPrompt(length);
        ids[before] = model.config().visionStartTokenId();
        Arrays.fill(ids, before + 1, before + 1 + pads, model.config().imageTokenId());
        ids[before + 1 + pads] = model.config().visionEndTokenId();
        return ids;
    }

    private int[] textPrompt(int length) {
        int[] ids = new int[length];
        for (int i = 0; i < length; i++) {
            ids[i] = random.nextInt(SPECIAL_TOKENS_FROM);
        }
        return ids;
    }

    /** The same checkpoint with fewer decoder layers: config.json rewritten, the other files linked. */
    private static void withLayers(Path from, Path to, int layers) throws IOException {
        Files.createDirectories(to);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(from.resolve("config.json").toFile());
        ((ObjectNode) config.get("text_config")).put("num_hidden_layers", layers);
        json.writeValue(to.resolve("config.json").toFile(), config);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("config.json")) {
                    Files.createSymbolicLink(to.resolve(f.getFileName()), f.toAbsolutePath());
                }
            }
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    // ---- arithmetic -----------------------------------------------------------------------

    private static float[] read(Backend backend, Tensor t) {
        float[] values = new float[Math.toIntExact(t.numel())];
        backend.read(t, values);
        return values;
    }

    /** ‖got − want‖₂ / ‖want‖₂. */
    private static double relativeError(float[] got, float[] want) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            double d = (double) got[i] - want[i];
            diff += d * d;
            norm += (double) want[i] * want[i];
        }
        return Math.sqrt(diff / norm);
    }

    private static double rms(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum / v.length);
    }

    private static float topTwoMargin(float[] logits) {
        float first = Float.NEGATIVE_INFINITY;
        float second = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            if (v > first) {
                second = first;
                first = v;
            } else if (v > second) {
                second = v;
            }
        }
        return first - second;
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }
}
