package dev.glimpse.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.glimpse.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The commands end to end on transformers-made checkpoints: the tokens they print must be
 * transformers' greedy tokens for the same prompt, and bad input must give one clear line and the
 * documented exit code.
 */
class CliTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {
        JsonNode json() throws Exception {
            return JSON.readTree(out);
        }
    }

    static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"text-f32", "text-bf16"})
    void generateGivesTransformersGreedyTokens(String fixture) throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected(fixture), "chat-default-system");
        String prompt = c.get("messages").get(0).get("content").asText();
        Result r = run("generate", "--model", Fixtures.checkpoint(fixture).toString(), "--prompt", prompt,
                "--max-new-tokens", "32", "--json", "--threads", "2");
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        assertArrayEquals(Fixtures.ints(c.get("prompt_ids")), Fixtures.ints(j.get("prompt_ids")), "chat format + tokenizer");
        assertArrayEquals(Fixtures.ints(c.get("generated_ids")), Fixtures.ints(j.get("generated_ids")));
        assertEquals(32, j.get("decode_tokens").asInt());
        assertTrue(j.get("timings_ms").has("prefill"));
    }

    @Test
    void askHighGivesTransformersGreedyTokens() throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected("vl-f32"), "image-one");
        Path image = Fixtures.ROOT.resolve("images/photo-a.png");
        Result r = run("ask", "--model", Fixtures.checkpoint("vl-f32").toString(), "--image", image.toString(),
                "--policy", "high", "--max-new-tokens", "32", "--json", "Describe this image.");
        assertEquals(0, r.code(), r.err());
        JsonNode round = r.json().get("rounds").get(0);
        assertEquals("high", r.json().get("policy").asText());
        assertArrayEquals(Fixtures.ints(c.get("prompt_ids")), Fixtures.ints(round.get("prompt_ids")),
                "decode + smart_resize + bicubic + chat format");
        assertArrayEquals(new int[] {1, 10, 10}, Fixtures.ints(round.get("image_grid_thw").get(0)));
        assertEquals(25, round.get("visual_tokens").asInt());
        assertArrayEquals(Fixtures.ints(c.get("generated_ids")), Fixtures.ints(round.get("generated_ids")));
    }

    /** Issue 4: --force-resize's round 2 equals transformers' greedy tokens for the same two-round sequence. */
    @Test
    void forceResizeRoundTwoGivesTransformersGreedyTokens() throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected("vl-f32"), "visionthink-resize");
        int[] ids = Fixtures.ints(c.get("prompt_ids"));
        int roundOneEnd = c.get("spans").get("round1_prompt").get(1).asInt();
        int replyEnd = c.get("spans").get("round1_reply").get(1).asInt();
        Path image = Fixtures.ROOT.resolve("images/photo-b.png");
        Result r = run("ask", "--model", Fixtures.checkpoint("vl-f32").toString(), "--image", image.toString(),
                "--force-resize", "--max-new-tokens", "32", "--json", c.get("question").asText());
        assertEquals(0, r.code(), r.err());
        JsonNode j = r.json();
        JsonNode first = j.get("rounds").get(0);
        JsonNode second = j.get("rounds").get(1);
        assertTrue(j.get("resize_requested").asBoolean());
        assertArrayEquals(Arrays.copyOf(ids, roundOneEnd), Fixtures.ints(first.get("prompt_ids")),
                "round 1: LANCZOS half size + VisionThink prompt");
        assertArrayEquals(Arrays.copyOfRange(ids, roundOneEnd, replyEnd), Fixtures.ints(first.get("generated_ids")));
        assertArrayEquals(Arrays.copyOfRange(ids, replyEnd, ids.length), Fixtures.ints(second.get("prompt_ids")));
        assertEquals(replyEnd, second.get("reused_tokens").asInt());
        assertArrayEquals(Fixtures.ints(c.get("generated_ids")), Fixtures.ints(second.get("generated_ids")));
    }

    @Test
    void missingModelIsOneLineAndExitOne() {
        Result r = run("generate", "--model", "/nonexistent/model", "--prompt", "hi");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("/nonexistent/model"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    }

    @Test
    void badUsageIsExitTwo() {
        assertEquals(2, run("generate", "--model", "x").code(), "missing --prompt");
        assertEquals(2, run("generate", "--model", Fixtures.checkpoint("text-f32").toString(), "--prompt", "hi",
                "--max-new-tokens", "0").code());
        assertEquals(2, run("ask", "--model", "x", "--image", "y", "--policy", "sideways", "q").code());
        String model = Fixtures.checkpoint("text-f32").toString();
        assertEquals(2, run("generate", "--model", model, "--prompt", "hi", "--temperature", "-1").code());
        assertEquals(2, run("generate", "--model", model, "--prompt", "hi", "--device", "tpu").code());
        assertEquals(2, run("generate", "--model", model, "--prompt", "hi", "--ctx", "99999").code(),
                "above max_position_embeddings 4096");
        assertEquals(2, run("generate", "--model", model, "--prompt", "hi", "--save-kv", "/nonexistent/dir/a.kv").code());
        assertEquals(2, run("ask", "--model", model, "--image", "y", "--policy", "low", "--force-resize", "q").code());
    }

    @Test
    void missingFilesAreNamed() {
        Result r = run("generate", "--model", Fixtures.checkpoint("text-f32").toString(), "--prompt", "hi",
                "--load-kv", "/nonexistent/conversation.kv");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("/nonexistent/conversation.kv") && r.err().contains("no such file"), r.err());
        Result notDir = run("generate", "--model", Fixtures.checkpoint("text-f32").resolve("config.json").toString(),
                "--prompt", "hi");
        assertEquals(1, notDir.code());
        assertTrue(notDir.err().contains("not a directory"), notDir.err());
    }

    @Test
    void promptLongerThanTheContextIsAClearError() {
        Result r = run("generate", "--model", Fixtures.checkpoint("text-f32").toString(), "--prompt",
                "a long prompt ".repeat(20), "--ctx", "16");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("context"), r.err());
    }

    @Test
    void corruptImageIsAClearError(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("broken.png");
        byte[] png = Files.readAllBytes(Fixtures.ROOT.resolve("images/photo-a.png"));
        Files.write(bad, Arrays.copyOf(png, png.length / 3));
        Result r = run("ask", "--model", Fixtures.checkpoint("vl-f32").toString(), "--image", bad.toString(), "q");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("broken.png"), r.err());
    }

    @Test
    void inspectPrintsConfigAndBytes() {
        Result r = run("inspect", "--model", Fixtures.checkpoint("text-bf16").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("BF16"), r.out());
        assertTrue(r.out().contains("hidden 128"), r.out());
    }

    /**
     * A conversation saved after one turn and resumed from the file continues exactly as transformers
     * does on the whole multi-turn prompt (the chat-multi-turn case, split after the assistant turn).
     */
    @Test
    void savedConversationResumesLikeOneLongPrompt(@TempDir Path dir) throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected("text-f32"), "chat-multi-turn");
        String model = Fixtures.checkpoint("text-f32").toString();
        JsonNode m = c.get("messages");
        Path kv = dir.resolve("turn1.kv");
        // Turn 1 is forced to the reference's assistant text by raw-prefilling it with --max-new-tokens 1.
        String turnOne = "<|im_start|>system\n" + m.get(0).get("content").asText() + "<|im_end|>\n<|im_start|>user\n"
                + m.get(1).get("content").asText() + "<|im_end|>\n<|im_start|>assistant\n"
                + m.get(2).get("content").asText();
        Result first = run("generate", "--model", model, "--raw", "--prompt", turnOne, "--max-new-tokens", "1",
                "--save-kv", kv.toString(), "--json");
        assertEquals(0, first.code(), first.err());
        Result second = run("generate", "--model", model, "--load-kv", kv.toString(), "--prompt",
                m.get(3).get("content").asText(), "--max-new-tokens", "32", "--json");
        assertEquals(0, second.code(), second.err());
        JsonNode j = second.json();
        int[] ids = Fixtures.ints(c.get("prompt_ids"));
        assertEquals(j.get("reused_tokens").asInt() + j.get("prefill_tokens").asInt(), ids.length,
                "the resumed turn plus the saved rows make the whole prompt");
        assertArrayEquals(Fixtures.ints(c.get("generated_ids")), Fixtures.ints(j.get("generated_ids")));
    }

    @Test
    void corruptOrForeignSnapshotsAreRefused(@TempDir Path dir) throws Exception {
        Path kv = dir.resolve("a.kv");
        assertEquals(0, run("generate", "--model", Fixtures.checkpoint("text-f32").toString(), "--prompt", "hi",
                "--max-new-tokens", "2", "--save-kv", kv.toString()).code());
        Result foreign = run("generate", "--model", Fixtures.checkpoint("text-bf16").toString(), "--load-kv",
                kv.toString(), "--prompt", "again");
        assertEquals(1, foreign.code());
        assertTrue(foreign.err().contains("another model"), foreign.err());
        byte[] bytes = Files.readAllBytes(kv);
        bytes[bytes.length / 2] ^= 0x40;
        Path flipped = dir.resolve("flipped.kv");
        Files.write(flipped, bytes);
        Result corrupt = run("generate", "--model", Fixtures.checkpoint("text-f32").toString(), "--load-kv",
                flipped.toString(), "--prompt", "again");
        assertEquals(1, corrupt.code());
        assertTrue(corrupt.err().contains("corrupt"), corrupt.err());
        Path cut = dir.resolve("cut.kv");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 100));
        Result truncated = run("generate", "--model", Fixtures.checkpoint("text-f32").toString(), "--load-kv",
                cut.toString(), "--prompt", "again");
        assertEquals(1, truncated.code());
        assertTrue(truncated.err().contains("truncated"), truncated.err());
    }

    /** --evict-lowres drops exactly the half-size image's rows; --measure-reprefill times the alternative. */
    @Test
    void evictionAndReprefillAreReported() throws Exception {
        JsonNode c = Fixtures.caseNamed(Fixtures.expected("vl-f32"), "visionthink-resize");
        int replyEnd = c.get("spans").get("round1_reply").get(1).asInt();
        int lowTokens = 20;
        long bytesPerToken = 2L * 2 * 2 * 32 * Float.BYTES;
        String image = Fixtures.ROOT.resolve("images/photo-b.png").toString();
        String model = Fixtures.checkpoint("vl-f32").toString();
        Result evicted = run("ask", "--model", model, "--image", image, "--force-resize", "--evict-lowres",
                "--max-new-tokens", "4", "--json", c.get("question").asText());
        assertEquals(0, evicted.code(), evicted.err());
        JsonNode e = evicted.json();
        assertEquals(lowTokens * bytesPerToken, e.get("evicted_kv_bytes").asLong());
        assertEquals(replyEnd - lowTokens, e.get("rounds").get(1).get("reused_tokens").asInt());
        Result measured = run("ask", "--model", model, "--image", image, "--force-resize", "--measure-reprefill",
                "--max-new-tokens", "4", "--json", c.get("question").asText());
        assertEquals(0, measured.code(), measured.err());
        JsonNode m = measured.json();
        assertTrue(m.get("reprefill_ms").asDouble() > 0, m.toString());
        assertTrue(m.has("reuse_saved_ms") && m.has("reuse_ideal_prefill_ms"), m.toString());
    }

    /** embed runs the Java image pipeline and the tower: rows equal transformers' vision output. */
    @Test
    void embedWritesTransformersVisionRows(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("e.npy");
        Result r = run("embed", "--model", Fixtures.checkpoint("vl-f32").toString(), "--image",
                Fixtures.ROOT.resolve("images/photo-b.png").toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        var got = dev.glimpse.io.Npy.read(out);
        var want = dev.glimpse.io.Npy.read(Fixtures.ROOT.resolve("vl-f32/vision-photo-b.npy"));
        assertArrayEquals(want.shape(), got.shape());
        double err = Fixtures.relativeError(got.data(), want.data());
        assertTrue(err <= 1e-4, "relative error " + err);
    }

    /** eval scores with DESIGN's rule and is deterministic; an item whose answer is the model's own scores 1. */
    @Test
    void evalScoresAndRepeats(@TempDir Path dir) throws Exception {
        String model = Fixtures.checkpoint("vl-f32").toString();
        Path image = Fixtures.ROOT.resolve("images/photo-a.png");
        Result high = run("ask", "--model", model, "--image", image.toString(), "--policy", "high",
                "--max-new-tokens", "6", "--json", "What is it?");
        String answer = high.json().get("answer").asText();
        Files.copy(image, dir.resolve("a.png"));
        String jsonl = "{\"image\": \"a.png\", \"question\": \"What is it?\", \"answer\": "
                + JSON.writeValueAsString("  " + answer + " .") + ", \"kind\": \"fine\"}\n"
                + "{\"image\": \"a.png\", \"question\": \"What is it?\", \"answer\": \"no such answer\", \"kind\": \"coarse\"}\n";
        Files.writeString(dir.resolve("set.jsonl"), jsonl);
        String[] args = {"eval", "--model", model, "--data", dir.resolve("set.jsonl").toString(), "--policy", "high",
                "--max-new-tokens", "6", "--json"};
        Result first = run(args);
        assertEquals(0, first.code(), first.err());
        JsonNode p = first.json().get("policies").get(0);
        assertEquals(2, p.get("items").asInt());
        assertEquals(0.5, p.get("accuracy").asDouble(), 1e-9);
        assertEquals(1.0, p.get("accuracy_by_kind").get("fine").asDouble(), 1e-9);
        assertEquals(0.0, p.get("accuracy_by_kind").get("coarse").asDouble(), 1e-9);
        assertEquals(50, p.get("visual_tokens").asInt(), "25 tokens per item at full resolution");
        Result second = run(args);
        assertEquals(p.get("accuracy"), second.json().get("policies").get(0).get("accuracy"));
        Result table = run("eval", "--model", model, "--data", dir.resolve("set.jsonl").toString(), "--max-new-tokens", "4");
        assertEquals(0, table.code(), table.err());
        assertTrue(table.out().contains("adaptive") && table.out().contains("low") && table.out().contains("high"),
                table.out());
    }

    /** make-tiny writes a checkpoint the loader accepts (config, tokenizer, weights) and that generates. */
    @Test
    void makeTinyWritesALoadableCheckpoint(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("tiny");
        assertEquals(0, run("make-tiny", "--out", out.toString(), "--dtype", "f16").code());
        Result r = run("generate", "--model", out.toString(), "--prompt", "hello", "--max-new-tokens", "3", "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, r.json().get("generated_ids").size());
        assertTrue(run("inspect", "--model", out.toString()).out().contains("F16"));
    }

    /** The built-in demo plays both sides of the protocol: a direct half-size answer and a resize with round 2. */
    @Test
    void demoShowsADirectAnswerAndAResize() {
        Result r = run("demo", "--items", "6");
        assertEquals(0, r.code(), r.err());
        String[] items = r.out().split("\n\n");
        long direct = Arrays.stream(items)
                .filter(item -> item.contains("round 1 (half size") && !item.contains("round 2") && item.contains("<answer>"))
                .count();
        long resized = Arrays.stream(items)
                .filter(item -> item.contains("resize_image") && item.contains("round 2 (full size")).count();
        assertTrue(direct > 0 && resized > 0, r.out());
        assertTrue(r.out().contains("6 items: "), r.out());
    }
}
