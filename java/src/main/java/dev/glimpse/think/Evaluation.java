package dev.glimpse.think;

import dev.glimpse.image.ImageDecoder;
import dev.glimpse.image.RgbImage;
import dev.glimpse.model.Model;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Runs an evaluation set under one policy and aggregates what the paper reports. */
public final class Evaluation {

    /** The figures of one policy over a set. */
    public record Result(Policy policy, int items, int correct, Map<String, int[]> byKind, int resized,
            long visualTokens, long totalNanos, List<Long> itemNanos, List<String> failures) {

        public double accuracy() {
            return items == 0 ? 0 : correct / (double) items;
        }

        public double resizeRatio() {
            return items == 0 ? 0 : resized / (double) items;
        }

        /** Accuracy per kind: kind → fraction. */
        public Map<String, Double> accuracyByKind() {
            Map<String, Double> m = new LinkedHashMap<>();
            byKind.forEach((k, v) -> m.put(k, v[1] == 0 ? 0 : v[0] / (double) v[1]));
            return m;
        }

        /** Resize ratio per kind: kind → fraction. */
        public Map<String, Double> resizeRatioByKind() {
            Map<String, Double> m = new LinkedHashMap<>();
            byKind.forEach((k, v) -> m.put(k, v[1] == 0 ? 0 : v[2] / (double) v[1]));
            return m;
        }
    }

    private Evaluation() {
    }

    public static Result run(Model model, List<EvalItem> items, AskOptions options, PrintStream progress) {
        VisionThink think = new VisionThink(model);
        int correct = 0;
        int resized = 0;
        long tokens = 0;
        Map<String, int[]> byKind = new TreeMap<>();
        List<Long> times = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < items.size(); i++) {
            EvalItem item = items.get(i);
            AskTrace trace;
            try {
                RgbImage image = new ImageDecoder().decode(item.image());
                trace = think.ask(List.of(image), item.question(), options, id -> { });
            } catch (RuntimeException e) {
                // One broken item (unreadable image, context overflow) counts as wrong; the run goes on.
                failures.add("item " + (i + 1) + " (" + item.image().getFileName() + "): " + e.getMessage());
                if (item.kind() != null) {
                    byKind.computeIfAbsent(item.kind(), x -> new int[3])[1]++;
                }
                continue;
            }
            boolean ok = item.correct(trace.answer());
            correct += ok ? 1 : 0;
            resized += trace.resizeRequested() ? 1 : 0;
            tokens += trace.rounds().stream().mapToInt(RoundTrace::visualTokens).sum();
            times.add(trace.totalNanos());
            if (item.kind() != null) {
                int[] k = byKind.computeIfAbsent(item.kind(), x -> new int[3]);
                k[0] += ok ? 1 : 0;
                k[1]++;
                k[2] += trace.resizeRequested() ? 1 : 0;
            }
            if (progress != null) {
                progress.print(ProgressLine.render(options.policy().label(), i + 1, items.size(), correct,
                        System.nanoTime() - start));
            }
        }
        if (progress != null) {
            progress.println();
        }
        if (progress != null) {
            failures.forEach(f -> progress.println("eval: failed, counted wrong: " + f));
        }
        return new Result(options.policy(), items.size(), correct, byKind, resized, tokens, System.nanoTime() - start,
                List.copyOf(times), List.copyOf(failures));
    }
}
