package dev.glimpse;

import dev.glimpse.backend.Backends;
import dev.glimpse.image.ImageDecoder;
import dev.glimpse.image.RgbImage;
import dev.glimpse.io.LoadProgress;
import dev.glimpse.model.Model;
import dev.glimpse.think.AskOptions;
import dev.glimpse.think.AskTrace;
import dev.glimpse.think.VisionThink;
import java.nio.file.Path;
import java.util.List;

/**
 * The library entry point: load a checkpoint once, ask questions about images.
 *
 * <pre>{@code
 * try (Glimpse glimpse = Glimpse.load(Path.of("models/VisionThink-Efficient"))) {
 *     AskTrace trace = glimpse.ask(Path.of("chart.png"), "What is the peak value?",
 *             AskOptions.defaults(Policy.ADAPTIVE));
 *     System.out.println(trace.answer() + " (resize requested: " + trace.resizeRequested() + ")");
 * }
 * }</pre>
 */
public final class Glimpse implements AutoCloseable {

    private final Model model;

    private Glimpse(Model model) {
        this.model = model;
    }

    /** Loads a checkpoint on the CPU with all cores. */
    public static Glimpse load(Path modelDir) {
        return load(modelDir, "auto", 0);
    }

    /** Loads a checkpoint on a device ("cpu", "cuda", "auto") with the given CPU threads (≤ 0: all). */
    public static Glimpse load(Path modelDir, String device, int threads) {
        return new Glimpse(Model.loadOwning(modelDir, Backends.open(device, threads), LoadProgress.stderrBar()));
    }

    public AskTrace ask(Path image, String question, AskOptions options) {
        return ask(List.of(new ImageDecoder().decode(image)), question, options);
    }

    /** Each call is its own conversation (its own KV cache). */
    public AskTrace ask(List<RgbImage> images, String question, AskOptions options) {
        return new VisionThink(model).ask(images, question, options, id -> { });
    }

    public Model model() {
        return model;
    }

    @Override
    public void close() {
        model.close();
    }
}
