"""The conversations minivt is trained on and asked in: VisionThink's exact strings (VISIONTHINK.md),
Glimpse's plain `--policy high` prompt, the short templated replies, and the tokenizer trained on them."""
import sys
from pathlib import Path

from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "reference"))
from tiny_tokenizer import QWEN_ADDED_TOKENS, train_bpe  # noqa: E402

STRINGS = ROOT / "tools" / "reference" / "visionthink"
SYSTEM = (STRINGS / "system_prompt.txt").read_text(encoding="utf-8")
USER_TEMPLATE = (STRINGS / "user_template.txt").read_text(encoding="utf-8")
AFTER_RESIZE = (STRINGS / "after_resize.txt").read_text(encoding="utf-8")

IMAGE = "<|vision_start|><|image_pad|><|vision_end|>"  # one pad; expanded to the image's token count
RESIZE_CALL = '<tool_call>\n{"name": "resize_image", "arguments": {"action": "resize"}}\n</tool_call>'
END = "<|im_end|>"

THINK_CLEAR = "<think>The image is clear enough to answer.</think>\n"
THINK_BLURRY = "<think>The small print is too blurry at this size, so I need the full image.</think>\n"
THINK_FULL = "<think>The full image shows the small print clearly.</think>\n"


def expand(prompt: str, pads: list[int]) -> str:
    """Each <|image_pad|> in turn repeated to its image's merged-token count."""
    parts = prompt.split("<|image_pad|>")
    if len(parts) != len(pads) + 1:
        raise ValueError(f"{len(parts) - 1} image pads in the prompt, {len(pads)} images")
    out = parts[0]
    for n, rest in zip(pads, parts[1:]):
        out += "<|image_pad|>" * n + rest
    return out


def round1_prompt(question: str) -> str:
    user = USER_TEMPLATE.replace("{Question}", IMAGE + "\n" + question)
    return f"<|im_start|>system\n{SYSTEM}{END}\n<|im_start|>user\n{user}{END}\n<|im_start|>assistant\n"


def round2_turn() -> str:
    """The tool response after a resize call; it follows round 1's <|im_end|> directly (no newline)."""
    return (f"<|im_start|>user\n<tool_response>\nThe resized image is shown below:\n{IMAGE}\n</tool_response>\n"
            f"{AFTER_RESIZE}{END}\n<|im_start|>assistant\n")


def high_prompt(question: str) -> str:
    """What Glimpse's --policy high sends: Qwen's default system prompt, the image, then the question."""
    return (f"<|im_start|>system\nYou are a helpful assistant.{END}\n<|im_start|>user\n{IMAGE}{question}{END}\n"
            "<|im_start|>assistant\n")


def next_turn(question: str) -> str:
    """A further question about the same picture, after an answer's <|im_end|> (training only)."""
    return f"\n<|im_start|>user\n{question}{END}\n<|im_start|>assistant\n"


def answer(text: str) -> str:
    return f"<answer>{text}</answer>"


def replies(kind: str, answer_text: str) -> dict[str, str]:
    """The target assistant turns (without <|im_end|>) for one question."""
    if kind == "fine":
        round1 = THINK_BLURRY + RESIZE_CALL
        round2 = THINK_FULL + answer(answer_text)
    else:
        round1, round2 = THINK_CLEAR + answer(answer_text), None
    return {"round1": round1, "round2": round2, "high": answer(answer_text)}


# --- tokenizer --------------------------------------------------------------------------------

BPE_VOCAB_SIZE = 640


def _corpus(questions: list[str], answers: list[str]) -> list[str]:
    texts = [SYSTEM, USER_TEMPLATE, AFTER_RESIZE, round2_turn(), THINK_CLEAR, THINK_BLURRY, THINK_FULL,
             RESIZE_CALL, "You are a helpful assistant."]
    texts += [round1_prompt(q) for q in questions] + [high_prompt(q) for q in questions]
    texts += [answer(a) for a in answers]
    return texts


def train_tokenizer(questions: list[str], answers: list[str]) -> Tokenizer:
    """Byte-level BPE with Qwen2's pipeline learned on the transcripts, then Qwen's 22 added tokens."""
    # The special tokens are split off first so that BPE never learns merges across them.
    texts = []
    for text in _corpus(questions, answers):
        for content, _ in QWEN_ADDED_TOKENS:
            text = text.replace(content, "\n")
        texts.append(text)
    return train_bpe(texts, BPE_VOCAB_SIZE, min_frequency=1)
