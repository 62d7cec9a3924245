package dev.glimpse.bench.e2e;

import java.util.Arrays;

/**
 * End-to-end benchmark drivers (whole-model figures JMH is not suited for): `decode`, `vision`,
 * `kvreuse`. Each prints a fixed-shape table with its baseline measured in the same process.
 */
public final class EndToEnd {

    private EndToEnd() {
    }

    public static void main(String[] args) throws Exception {
        String which = args.length == 0 ? "" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        switch (which) {
            case "decode" -> DecodeBench.main(rest);
            case "vision" -> VisionBench.main(rest);
            case "kvreuse" -> KvReuseBench.main(rest);
            default -> {
                System.err.println("usage: ./glimpse bench-e2e decode|vision|kvreuse [--threads N]");
                System.exit(2);
            }
        }
    }

    static int threads(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--threads")) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return Runtime.getRuntime().availableProcessors();
    }
}
