"""A small byte-level BPE tokenizer built like Qwen2's, for test fixtures.

Same pipeline as the released Qwen2.5-VL tokenizer (NFC, the Qwen2 split regex, GPT-2 byte
mapping, BPE without unknown token, byte-level decoder) and the same 22 added tokens in the same
order with the same "special" flags, but a vocabulary of a few hundred entries learned from
bpe_corpus.txt plus the VisionThink strings. The added tokens get the ids right after the BPE
vocabulary, so the fixtures' special ids are small numbers read from files, not Qwen's 151643+.
"""
import json
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = Path(__file__).resolve().parent

# SPEC §6 step 2: the Qwen2 pre-tokenizer split.
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")

# The released tokenizer's added tokens, in id order: (content, special).
QWEN_ADDED_TOKENS = [
    ("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
    ("<|object_ref_start|>", True), ("<|object_ref_end|>", True), ("<|box_start|>", True),
    ("<|box_end|>", True), ("<|quad_start|>", True), ("<|quad_end|>", True),
    ("<|vision_start|>", True), ("<|vision_end|>", True), ("<|vision_pad|>", True),
    ("<|image_pad|>", True), ("<|video_pad|>", True), ("<tool_call>", False), ("</tool_call>", False),
    ("<|fim_prefix|>", False), ("<|fim_middle|>", False), ("<|fim_suffix|>", False),
    ("<|fim_pad|>", False), ("<|repo_name|>", False), ("<|file_sep|>", False),
]

BPE_VOCAB_SIZE = 450  # 256 byte symbols + 194 merges

# The Qwen2-VL / Qwen2.5-VL chat template (Apache-2.0, Qwen), as the released tokenizer_config.json holds it.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}"
    "<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content "
    "or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture "
    "{{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' "
    "or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
    "{{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}"
    "{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}"
    "<|im_start|>assistant\n{% endif %}"
)


def training_texts() -> list[str]:
    texts = (HERE / "bpe_corpus.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    for name in sorted((HERE / "visionthink").glob("*.txt")):
        texts.append(name.read_text(encoding="utf-8"))
    return texts


def build() -> Tokenizer:
    tokenizer = train_bpe(training_texts(), BPE_VOCAB_SIZE, min_frequency=2)
    if tokenizer.get_vocab_size() != BPE_VOCAB_SIZE + len(QWEN_ADDED_TOKENS):
        raise RuntimeError(f"BPE training gave {tokenizer.get_vocab_size() - len(QWEN_ADDED_TOKENS)} entries, expected "
                           f"{BPE_VOCAB_SIZE}: grow bpe_corpus.txt or lower BPE_VOCAB_SIZE")
    return tokenizer


def train_bpe(texts: list[str], vocab_size: int, min_frequency: int) -> Tokenizer:
    """Byte-level BPE with Qwen2's pipeline (NFC, Qwen2 split regex, GPT-2 byte map, no unknown token)
    learned on texts, then Qwen's 22 added tokens in Qwen's order right after the vocabulary."""
    tokenizer = Tokenizer(models.BPE(unk_token=None, fuse_unk=False, byte_fallback=False))
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), special_tokens=[])
    tokenizer.train_from_iterator(texts, trainer=trainer)
    for content, special in QWEN_ADDED_TOKENS:
        token = AddedToken(content, single_word=False, lstrip=False, rstrip=False, normalized=False, special=special)
        added = tokenizer.add_special_tokens([token]) if special else tokenizer.add_tokens([token])
        if added != 1 or tokenizer.token_to_id(content) != tokenizer.get_vocab_size() - 1:
            raise RuntimeError(f"added token {content} did not get the next id")
    return tokenizer


def tokenizer_config(tokenizer: Tokenizer) -> dict:
    """tokenizer_config.json in the shape the released Qwen2.5-VL checkpoints carry (transformers 4.x)."""
    decoder = {}
    for content, special in QWEN_ADDED_TOKENS:
        decoder[str(tokenizer.token_to_id(content))] = {
            "content": content, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False, "special": special}
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": [c for c, special in QWEN_ADDED_TOKENS if special and c != "<|endoftext|>"],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 4096,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def tokenizer_json(tokenizer: Tokenizer) -> dict:
    """The trained tokenizer as JSON, with the fields the library leaves at other defaults set as Qwen's file has
    them (they do not change encoding or decoding; checked by re-encoding the corpus)."""
    data = json.loads(tokenizer.to_str())
    data["decoder"] = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    data["model"]["continuing_subword_prefix"] = ""
    data["model"]["end_of_word_suffix"] = ""
    patched = Tokenizer.from_str(json.dumps(data))
    for text in training_texts():
        encoding = tokenizer.encode(text).ids
        if patched.encode(text).ids != encoding or patched.decode(encoding) != tokenizer.decode(encoding):
            raise RuntimeError(f"patched tokenizer.json encodes {text!r} differently")
    return data


def write(tokenizer: Tokenizer, directory: Path) -> None:
    with open(directory / "tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(tokenizer), f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(directory / "tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(tokenizer_config(tokenizer), f, indent=2, ensure_ascii=False)
        f.write("\n")
