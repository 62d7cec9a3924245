package dev.glimpse.generate;

import dev.glimpse.image.PixelValues;
import dev.glimpse.image.QwenImageProcessor;
import dev.glimpse.image.RgbImage;
import dev.glimpse.model.Model;
import dev.glimpse.model.VisionEncoder;
import dev.glimpse.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Images made ready for a prompt: Qwen preprocessing, the vision tower, and what the prompt and
 * the trace need (grids, pad counts, timings).
 *
 * @param gridsThw      {t, h, w} patch grid per image
 * @param padsPerImage  merged tokens per image (the image-pad run length)
 * @param embeds        [Σ pads, hidden] vision rows on the model's backend (valid until the next encode)
 */
public record VisualInput(List<int[]> gridsThw, int[] padsPerImage, Tensor embeds, long preprocessNanos,
        long visionNanos) {

    public static final VisualInput NONE = new VisualInput(List.of(), new int[0], null, 0, 0);

    public int visualTokens() {
        int n = 0;
        for (int p : padsPerImage) {
            n += p;
        }
        return n;
    }

    /** Preprocesses and encodes the images into the model's shared image buffer. */
    public static VisualInput encode(Model model, List<RgbImage> images) {
        return encode(model, images, model::imageEmbeddings);
    }

    /** Preprocesses and encodes the images into the buffer target(tokens) gives ([tokens, hidden]). */
    public static VisualInput encode(Model model, List<RgbImage> images, java.util.function.IntFunction<Tensor> target) {
        if (images.isEmpty()) {
            return NONE;
        }
        long t0 = System.nanoTime();
        QwenImageProcessor processor = QwenImageProcessor.of(model.config().preprocessor());
        List<VisionEncoder.Patches> patches = new ArrayList<>();
        List<int[]> grids = new ArrayList<>();
        int[] pads = new int[images.size()];
        for (int i = 0; i < images.size(); i++) {
            PixelValues pv;
            try (Arena arena = Arena.ofConfined()) {
                pv = processor.process(images.get(i), arena);
                float[] values = pv.data().toArray(ValueLayout.JAVA_FLOAT);
                patches.add(new VisionEncoder.Patches(values, pv.gridT(), pv.gridH(), pv.gridW()));
            }
            VisionEncoder.Patches p = patches.getLast();
            grids.add(new int[] {pv.gridT(), pv.gridH(), pv.gridW()});
            pads[i] = model.vision().tokens(p);
        }
        long t1 = System.nanoTime();
        Tensor embeds = target.apply(java.util.Arrays.stream(pads).sum());
        model.vision().encode(patches, embeds);
        long t2 = System.nanoTime();
        return new VisualInput(List.copyOf(grids), pads, embeds, t1 - t0, t2 - t1);
    }
}
