package dev.glimpse.think;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the official VisionThink loop reads a round (VISIONTHINK.md): in the decoded text (special
 * tokens skipped), every {@code <tool_call>(.*?)</tool_call>} (dot matches newline); inside each,
 * every {@code \{.*?\}\}} (dot does not match newline) parsed as JSON. Valid when exactly one object
 * results and its arguments.action is "resize"; any other tool call is an error with a reason.
 */
public record ResizeRequest(Kind kind, String error) {

    public enum Kind { NONE, RESIZE, MALFORMED }

    private static final Pattern CALL = Pattern.compile("<tool_call>(.*?)</tool_call>", Pattern.DOTALL);
    private static final Pattern OBJECT = Pattern.compile("\\{.*?\\}\\}");
    /** Trailing text after the object fails, as Python's json.loads does ("Extra data"). */
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public static ResizeRequest detect(String roundText) {
        Matcher call = CALL.matcher(roundText);
        boolean anyCall = false;
        List<JsonNode> objects = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        while (call.find()) {
            anyCall = true;
            Matcher obj = OBJECT.matcher(call.group(1));
            while (obj.find()) {
                try {
                    objects.add(JSON.readTree(obj.group()));
                } catch (Exception e) {
                    failures.add(obj.group());
                }
            }
        }
        if (!anyCall) {
            return new ResizeRequest(Kind.NONE, null);
        }
        if (!failures.isEmpty()) {
            return malformed("The tool call is not valid JSON: " + failures.getFirst());
        }
        if (objects.isEmpty()) {
            return malformed("No function call JSON object was found inside <tool_call></tool_call>.");
        }
        if (objects.size() > 1) {
            return malformed("Only ONE function tool call is allowed per step, but " + objects.size() + " were found.");
        }
        JsonNode action = objects.getFirst().path("arguments").path("action");
        if (!action.isTextual() || !action.asText().equals("resize")) {
            return malformed("The action must be \"resize\", got " + (action.isMissingNode() ? "none" : action) + ".");
        }
        return new ResizeRequest(Kind.RESIZE, null);
    }

    private static ResizeRequest malformed(String why) {
        return new ResizeRequest(Kind.MALFORMED, "Error: " + why + "\n");
    }

    /** The final answer: text between the last {@code <answer>} and the following {@code </answer>}, else the whole text. */
    public static String extractAnswer(String text) {
        int open = text.lastIndexOf("<answer>");
        if (open < 0) {
            return text.strip();
        }
        int start = open + "<answer>".length();
        int close = text.indexOf("</answer>", start);
        return (close < 0 ? text.substring(start) : text.substring(start, close)).strip();
    }
}
