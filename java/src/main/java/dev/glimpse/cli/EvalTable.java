package dev.glimpse.cli;

import dev.glimpse.think.Evaluation;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** The paper-style table: accuracy (all and per kind), resize ratio, visual tokens, time. */
final class EvalTable {

    private EvalTable() {
    }

    static String render(List<Evaluation.Result> results) {
        TreeSet<String> kinds = new TreeSet<>();
        results.forEach(r -> kinds.addAll(r.byKind().keySet()));
        StringBuilder s = new StringBuilder(String.format("%-9s %6s %8s", "policy", "items", "acc"));
        for (String k : kinds) {
            s.append(String.format(" %10s", "acc " + k));
        }
        s.append(String.format(" %8s %12s %10s %9s%n", "resize", "vis tokens", "total s", "ms/item"));
        for (Evaluation.Result r : results) {
            s.append(String.format("%-9s %6d %7.1f%%", r.policy().label(), r.items(), 100 * r.accuracy()));
            Map<String, Double> byKind = r.accuracyByKind();
            for (String k : kinds) {
                Double a = byKind.get(k);
                s.append(a == null ? String.format(" %10s", "-") : String.format(" %9.1f%%", 100 * a));
            }
            s.append(String.format(" %7.1f%% %12d %10.1f %9.1f%n", 100 * r.resizeRatio(), r.visualTokens(),
                    r.totalNanos() / 1e9, r.totalNanos() / 1e6 / Math.max(1, r.items())));
        }
        return s.toString();
    }
}
