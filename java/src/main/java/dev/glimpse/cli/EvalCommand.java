package dev.glimpse.cli;

import dev.glimpse.generate.SamplingOptions;
import dev.glimpse.model.Model;
import dev.glimpse.think.AskOptions;
import dev.glimpse.think.EvalItem;
import dev.glimpse.think.Evaluation;
import dev.glimpse.think.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Accuracy, resize ratio, visual tokens and time of each policy over a jsonl set. */
@Command(name = "eval", description = "Evaluate policies on a jsonl set ({image, question, answer, kind?} per line); with no flags, the built-in model on the built-in split.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", paramLabel = "FILE.jsonl", description = "The evaluation set (default: the built-in split data/minivt/seed1).")
    Path data;

    @Option(names = "--policy", paramLabel = "adaptive|low|high", description = "One policy (default: low, high and adaptive).")
    String policy;

    @Option(names = "--max-new-tokens", defaultValue = "1024", description = "Token budget per round (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--json", description = "Print the figures as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        List<Policy> policies;
        try {
            policies = policy == null ? List.of(Policy.LOW, Policy.HIGH, Policy.ADAPTIVE) : List.of(Policy.parse(policy));
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("--max-new-tokens must be ≥ 1, got " + maxNewTokens);
            }
        } catch (IllegalArgumentException e) {
            throw new Cli.UsageError(e.getMessage());
        }
        if (modelOptions.model == null) {
            modelOptions.model = BuiltIn.model();
        }
        List<EvalItem> items = EvalItem.readJsonl(data != null ? data : BuiltIn.evalSplit());
        List<Evaluation.Result> results = new ArrayList<>();
        try (Model model = modelOptions.load()) {
            for (Policy p : policies) {
                AskOptions options = new AskOptions(p, maxNewTokens, SamplingOptions.GREEDY, false, false,
                        modelOptions.contextTokens, null, false);
                results.add(Evaluation.run(model, items, options, System.err));
            }
        }
        if (json) {
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Evaluation.Result r : results) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("policy", r.policy().label());
                m.put("items", r.items());
                m.put("accuracy", r.accuracy());
                m.put("accuracy_by_kind", r.accuracyByKind());
                m.put("resize_ratio", r.resizeRatio());
                m.put("resize_ratio_by_kind", r.resizeRatioByKind());
                m.put("visual_tokens", r.visualTokens());
                m.put("total_ms", Trace.ms(r.totalNanos()));
                m.put("item_ms", r.itemNanos().stream().map(Trace::ms).toList());
                m.put("failures", r.failures());
                rows.add(m);
            }
            System.out.println(Trace.toJson(Map.of("policies", rows)));
        } else {
            System.out.println(EvalTable.render(results));
        }
        return 0;
    }
}
