#!/usr/bin/env python3
"""Writes java/src/test/resources/chat/golden.json: prompts rendered by transformers'
apply_chat_template with Qwen's own chat templates, for ChatFormat to reproduce exactly.

    python3 tools/reference/chat_golden.py

Two templates, both Qwen's, copied verbatim below (transformers cannot download them here):
  QWEN25_VL  the Qwen2.5-VL-*-Instruct chat template (also Qwen2-VL's). It has no tools branch;
             an image is <|vision_start|><|image_pad|><|vision_end|> with one pad.
  QWEN25     the Qwen2.5-*-Instruct template (hermes-style tools, tool turns inside user turns),
             with its default system prompt "You are Qwen, created by Alibaba Cloud. You are a
             helpful assistant." replaced by Qwen2.5-VL's "You are a helpful assistant." - the
             only edit, as SPEC section 5 asks: Glimpse combines the VL default with these tools.
Conversations without tools or tool turns use QWEN25_VL; the others use QWEN25 (the two agree
where both apply, which is checked below).

The image pads are then expanded as Qwen2_5_VLProcessor does: each <|image_pad|> becomes
grid_t*grid_h*grid_w / merge_size^2 pads, the grid coming from Qwen2VLImageProcessorPil for a
synthetic image of the stated size. (The processor itself needs torchvision for its video part,
which is not installed; its expansion is this one line.)

Each case stores the Java-side input (messages with content strings, images already expanded
with ChatFormat.imagePlaceholder's text; tools as the JSON lines tojson writes), the expected
prompt, and its ids from the HF tokenizer.
"""
import gzip
import json
import os
import tempfile

from PIL import Image
from transformers import Qwen2Tokenizer
from transformers.models.qwen2_vl import Qwen2VLImageProcessorPil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER = os.path.join(ROOT, "java/src/main/resources/dev/glimpse/tokenizer/qwen2.5-vl/tokenizer.json.gz")
OUTPUT = os.path.join(ROOT, "java/src/test/resources/chat/golden.json")
# VisionThink's system prompt (from dvlab-research/VisionThink, kept in the steering repo's shared/).
VISIONTHINK_PROMPT = os.path.join(ROOT, "..", "shared", "visionthink", "system_prompt.txt")

QWEN25_VL = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in "
    "content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
    "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] "
    "== 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}"
    "Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content "
    "%}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}"
    "<|im_start|>assistant\n{% endif %}"
)

QWEN25_ORIGINAL = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""
QWEN25 = QWEN25_ORIGINAL.replace("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
                                 "You are a helpful assistant.")
assert QWEN25.count("You are a helpful assistant.") == 2

IMAGE = {"type": "image"}
PAD = "<|image_pad|>"

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather for a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. \"Zürich\""},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}
CROP = {"type": "function", "function": {
    "name": "crop_image", "description": "Crop the image to a box.",
    "parameters": {"type": "object", "properties": {
        "box": {"type": "array", "items": {"type": "integer"}, "minItems": 4, "maxItems": 4}},
        "required": ["box"]}}}


def call(name, arguments):
    """An assistant tool call, as the template would render it and as the model writes it."""
    return {"function": {"name": name, "arguments": arguments}}


def call_text(name, arguments):
    return '<tool_call>\n{"name": "' + name + '", "arguments": ' + json.dumps(arguments, ensure_ascii=False) \
        + '}\n</tool_call>'


# (name, messages for the template, image sizes in order, tools, add_generation_prompt)
CASES = [
    ("user only", [{"role": "user", "content": "Hello!"}], [], None, True),
    ("no generation prompt", [{"role": "user", "content": "Hello!"}], [], None, False),
    ("system and turns", [
        {"role": "system", "content": "You answer in one word."},
        {"role": "user", "content": "Capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Japan? 日本の首都は？"}], [], None, True),
    ("image then question", [
        {"role": "user", "content": [IMAGE, {"type": "text", "text": "What is in this image?"}]}], [(56, 84)], None, True),
    ("two images and a follow-up image", [
        {"role": "user", "content": [IMAGE, IMAGE, {"type": "text", "text": "Compare them."}]},
        {"role": "assistant", "content": "The first is darker."},
        {"role": "user", "content": [{"type": "text", "text": "Now this one:\n"}, IMAGE]}],
     [(224, 224), (28, 56), (112, 84)], None, True),
    ("second system message", [
        {"role": "user", "content": "Hi"},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi again"}], [], None, True),
    ("VisionThink-style system prompt with an image", [
        {"role": "system", "content": open(VISIONTHINK_PROMPT, encoding="utf-8").read()},
        {"role": "user", "content": [IMAGE, {"type": "text", "text": "\nWhat does the sign say?"}]}],
     [(140, 196)], None, True),
    ("tools with a system message", [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Zürich?"}], [], [WEATHER, CROP], True),
    ("tools with the default system message", [
        {"role": "user", "content": "Weather in Paris?"}], [], [WEATHER], True),
    ("tool calls and consecutive tool results", [
        {"role": "user", "content": "Weather in SF and NYC?"},
        {"role": "assistant", "content": "", "tool_calls": [call("get_weather", {"city": "SF"}),
                                                            call("get_weather", {"city": "NYC", "unit": "celsius"})]},
        {"role": "tool", "content": "{\"temp\": 18, \"sky\": \"sunny\"}"},
        {"role": "tool", "content": "{\"temp\": 24, \"sky\": \"rain\"}"},
        {"role": "user", "content": "Thanks!"}], [], [WEATHER], True),
    ("tool result last, no tools list", [
        {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [call("get_weather", {"city": "Oslo"})]},
        {"role": "tool", "content": "cold"}], [], None, True),
    ("tool right after the system message", [
        {"role": "system", "content": "S"},
        {"role": "tool", "content": "orphan result"},
        {"role": "assistant", "content": "ok"}], [], None, False),
    ("tools with an image in the user turn", [
        {"role": "user", "content": "<|vision_start|><|image_pad|><|vision_end|>Crop to the cat."}],
     [(84, 84)], [CROP], True),
]


def pad_counts(sizes, image_processor):
    """Pads per image: grid_t * grid_h * grid_w // merge_size**2, as Qwen2_5_VLProcessor computes."""
    counts = []
    for w, h in sizes:
        image = Image.new("RGB", (w, h), (90, 120, 150))
        grid = image_processor(images=[image], return_tensors="np")["image_grid_thw"][0]
        counts.append(int(grid.prod()) // image_processor.merge_size ** 2)
    return counts


def expand_pads(text, counts):
    """Replaces the i-th single <|image_pad|> by counts[i] pads (the processor's expansion)."""
    parts = text.split(PAD)
    assert len(parts) == len(counts) + 1, "one pad per image"
    return parts[0] + "".join(PAD * n + part for n, part in zip(counts, parts[1:]))


def java_messages(messages, counts):
    """The messages as Glimpse's ChatFormat takes them: content strings, images as placeholders."""
    out = []
    remaining = list(counts)
    for m in messages:
        content = m["content"]
        if isinstance(content, list):
            content = "".join("<|vision_start|>" + PAD + "<|vision_end|>" if part["type"] == "image" else part["text"]
                              for part in content)
        mine = remaining[:content.count(PAD)]
        remaining = remaining[len(mine):]
        content = expand_pads(content, mine)
        if m.get("tool_calls"):
            calls = [call_text(c["function"]["name"], c["function"]["arguments"]) for c in m["tool_calls"]]
            content = "\n".join(([content] if content else []) + calls)
        out.append({"role": m["role"], "content": content})
    return out


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tokenizer.json")
        with gzip.open(TOKENIZER, "rb") as f, open(path, "wb") as out:
            out.write(f.read())
        tok = Qwen2Tokenizer(tokenizer_file=path)
    image_processor = Qwen2VLImageProcessorPil()

    cases = []
    for name, messages, sizes, tools, gen in CASES:
        uses_tools = tools is not None or any(m["role"] == "tool" or m.get("tool_calls") for m in messages)
        template = QWEN25 if uses_tools else QWEN25_VL
        rendered = tok.apply_chat_template(messages, tools=tools, chat_template=template, tokenize=False,
                                           add_generation_prompt=gen)
        if not uses_tools and all(isinstance(m["content"], str) for m in messages):
            other = tok.apply_chat_template(messages, chat_template=QWEN25, tokenize=False, add_generation_prompt=gen)
            assert other == rendered, f"templates disagree on {name}"
        counts = pad_counts(sizes, image_processor)
        prompt = expand_pads(rendered, counts)
        tool_lines = [json.dumps(t, ensure_ascii=False) for t in tools or []]
        cases.append({"name": name, "template": "qwen2.5 (tools)" if uses_tools else "qwen2.5-vl",
                      "image_sizes": sizes, "image_pads": counts, "messages": java_messages(messages, counts),
                      "tools": tool_lines, "add_generation_prompt": gen, "prompt": prompt,
                      "ids": tok.encode(prompt, add_special_tokens=False)})

    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write("{\n\"source\": " + json.dumps("transformers apply_chat_template; see tools/reference/chat_golden.py")
                + ",\n\"cases\": [\n  " + ",\n  ".join(json.dumps(c, ensure_ascii=True) for c in cases) + "\n]\n}\n")
    print(f"{len(cases)} cases -> {OUTPUT}")


if __name__ == "__main__":
    main()
