#!/usr/bin/env python3
"""Writes java/src/test/resources/tokenizer/golden.json: what the Hugging Face `tokenizers`
package (the reference implementation) makes of a varied corpus with the real Qwen2.5-VL
tokenizer.json.

    python3 tools/reference/tokenizer_golden.py [path/to/tokenizer.json.gz]

The default input is the copy bundled with the engine. The output holds:
  cases        {text, ids, decoded, decoded_skip_special} for every corpus string
  decode_only  {ids, decoded, decoded_skip_special} for id sequences no encoding produces
               (a character split over tokens, invalid UTF-8, special tokens, unknown ids)
  added_tokens {id, content, special}; vocab_size; sample_tokens [id, token]
  gpt2_pieces  {text, add_prefix_space, pieces}: the GPT-2 ByteLevel(use_regex) pre-tokenizer
"""
import gzip
import json
import os
import sys
import tempfile

from tokenizers import Tokenizer, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_INPUT = os.path.join(ROOT, "java/src/main/resources/dev/glimpse/tokenizer/qwen2.5-vl/tokenizer.json.gz")
OUTPUT = os.path.join(ROOT, "java/src/test/resources/tokenizer/golden.json")

LONG_PARAGRAPH = (
    "Vision-language models read an image as a grid of patches. Each patch of 14 by 14 pixels becomes "
    "a vector; neighbouring patches are merged two by two, so a 448x448 picture costs 256 tokens while "
    "a 896x896 one costs 1,024. That is why an adaptive policy first looks at a half-resolution copy "
    "and asks for the full image only when the answer depends on small details - a street sign, a "
    "price tag, the digits on a meter. In practice most questions (\"What colour is the car?\", \"How "
    "many people are there?\") need no more than the small copy, and the model says so itself: it "
    "either answers directly or calls a tool that requests the high-resolution image. The savings are "
    "large: prefill time grows faster than linearly with the number of visual tokens, and the KV cache "
    "of a long conversation can be reused between rounds. Still, one must measure: accuracy on OCR-heavy "
    "benchmarks drops when the model is too eager to answer from the blurry copy, so the decision "
    "threshold matters. We've tested it on 3 datasets, they're public, and you'll find the numbers in "
    "the appendix (Tables 2-4). It's not magic; it's bookkeeping.\n\n"
)

MULTILINGUAL_BLOCK = (
    "English text with numbers 1234 and 5.678, then 中文句子：模型读取图像并回答问题。"
    "日本語の文：画像を読み取って質問に答えます。한국어 문장: 모델이 이미지를 읽습니다. "
    "Русский текст. Ελληνικά. العربية. हिन्दी। 🙂👍🏽🇯🇵\n\t  def f(x):\n        return x ** 2\n"
)

CORPUS = [
    # English and punctuation
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "Hello!!! ... ??? (really) [yes] {no} <maybe> a+b=c; x->y",
    "it\u2019s \u2018quoted\u2019 and \u201cdouble\u201d \u2014 dashes \u2013 and\u2026 ellipsis",
    # whitespace runs
    "",
    " ",
    " leading space",
    "trailing space ",
    "  two leading spaces and two trailing  ",
    "multiple     spaces   between words",
    "tabs\tand\t\ttabs\t",
    "line1\nline2\n\nline4\n\n\n",
    "windows\r\nline\r\nendings\r\n",
    "\n\n\n",
    "   \n   \n",
    " \t \n \r\n x",
    "a" + " " * 50 + "b",
    "\n" * 20 + "end",
    "end" + " " * 7,
    "mixed\r\r\n\n\r spaces\u00a0nbsp\u2003em\u3000ideographic",
    "a\u0085b\u2028c\u2029d\u000bv\u000cf",
    "zero\u200bwidth \ufeffbom",
    # runs of Unicode (non-ASCII) whitespace: where a regex with ASCII-only \s would cut differently
    "x\u3000\u3000\u3000y z\u00a0\u00a0\u00a0w tail\u2003\u2003",
    "\u00a0\u00a0\n\u00a0x a\u0085\u0085b c\u000b\u000b\u000bd\u2029\u2029",
    # contractions, including uppercase and Unicode case folding of 's
    "I'm sure it's John's car; they're here, we've done it, you'll see, he'd go.",
    "IT'S JOHN'S; THEY'LL SAY WE'RE DONE, I'VE, I'D, I'M",
    "It'S wE'Re yOu'Ll sHe'D",
    "don't can't won't shouldn't y'all o'clock",
    "'s at start, ' alone, '' and 'S' and ''s",
    "the ship'\u017f mast and K\u212a",
    "ship'\u017ft and I'\u017fLL and WE'\u017f'\u017f",
    # digits and numbers
    "1234567890",
    "123456789012345678901234567890",
    "3.14159265358979 and 2,718,281,828 and -42 and 1e-10",
    "Room 101, Floor 3, ID: A1B2C3, abc123def456",
    "\uff11\uff12\uff13 \u0660\u0661\u0662\u0663 x\u00b2\u00b3 \u216b \u00bd",
    # code
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "public final class A {\n\tint x = 0;\n\tvoid f() { x++; }\n}\n",
    '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
    '<div class="a">text</div><br/>',
    "https://example.com/path?q=1&r=two#frag user@example.org",
    "ls -la | grep '^d' && echo \"done\" >> /tmp/log.txt",
    "# Title\n\n- item 1\n- item 2\n\n```python\nprint('x')\n```\n",
    "$\\frac{a}{b} = \\sqrt{x^2 + y^2}$",
    # CJK
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002",
    "大型语言模型是一种人工智能模型，能够理解和生成自然语言文本。",
    "こんにちは世界。東京は日本の首都です。カタカナもひらがなも。",
    "안녕하세요, 세계! 한국어 텍스트입니다.",
    "Qwen2.5-VL支持中文和English混合text。",
    "全角\u3000スペース　と　半角 スペース",
    # emoji
    "I love \U0001f355 and \U0001f389!",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family, \U0001f469\u200d\U0001f4bb coder, "
    "\U0001f3f3\ufe0f\u200d\U0001f308 flag",
    "\U0001f44d\U0001f3fd \U0001f44b\U0001f3ff \U0001f9d1\U0001f3fb\u200d\U0001f680",
    "\U0001f1fa\U0001f1f8\U0001f1ef\U0001f1f5\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea",
    "1\ufe0f\u20e3 #\ufe0f\u20e3 \u2764\ufe0f \u263a\ufe0e",
    "\U0001f600\U0001f603\U0001f604\U0001f601\U0001f606\U0001f605\U0001f602\U0001f923",
    # accents: NFC and NFD spellings of the same words
    "caf\u00e9 na\u00efve r\u00e9sum\u00e9 \u00c5ngstr\u00f6m",
    "cafe\u0301 nai\u0308ve re\u0301sume\u0301 A\u030angstro\u0308m",
    "Ti\u1ebfng Vi\u1ec7t c\u00f3 d\u1ea5u",
    "Stra\u00dfe Gr\u00f6\u00dfe \u00dcberm\u00e4\u00dfig",
    "e\u0301\u0302 q\u0307 \u0301abc",
    "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af",
    "\u212b \u2126 \ufb01",
    # special tokens inside text
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "<|vision_start|>" + "<|image_pad|>" * 8 + "<|vision_end|>Describe this image.",
    '<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>',
    "text<|endoftext|>more",
    "<|im_start|><|im_start|> <|im_start <|im_start| <|im_end|>|> <<|im_end|>>",
    "<|fim_prefix|>def f():<|fim_suffix|>return 1<|fim_middle|>",
    " <|im_end|> \n<|im_end|>\n",
    "<|IM_START|> <im_start> <|im_start |>",
    "<|box_start|>(10,20),(30,40)<|box_end|><|object_ref_start|>cat<|object_ref_end|>",
    # other scripts
    "مرحبا بالعالم! هذا نص عربي.",
    "नमस्ते दुनिया। यह हिंदी पाठ है।",
    "สวัสดีชาวโลก",
    "Привет, мир! Как дела?",
    "Γειά σου Κόσμε",
    "שלום עולם",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 \U0001d7d9\U0001d7da\U0001d7db",
    # invalid-looking and unusual code points
    "\ufffd replacement \ufffd\ufffd",
    "\\x80\\xff literally, %E2%82%AC, &amp; &#x20AC;",
    "a\u0000b\u0001c\u007fd\u009fe",
    "\ue000\uf8ff \U000f0000 \ufffe",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "================ -------- ******** ________",
    # long texts
    LONG_PARAGRAPH,
    MULTILINGUAL_BLOCK * 8,
]


def byte_to_unicode():
    """GPT-2's reversible map from bytes to printable characters."""
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def decode_only_cases(tok):
    vocab = tok.get_vocab()
    b2u = byte_to_unicode()

    def byte_ids(data):
        return [vocab[b2u[b]] for b in data]

    ni = "\u4f60".encode()  # 3 bytes
    smile = "\U0001f600".encode()  # 4 bytes
    seqs = [
        byte_ids(ni[:1]),
        byte_ids(ni[:2]),
        byte_ids(ni),
        byte_ids(ni[1:]),
        byte_ids(ni[:2] + b"a" + ni),
        byte_ids(smile[:3]),
        byte_ids(smile[:3] + smile),
        byte_ids(b"\xed\xa0\x80"),  # an encoded surrogate
        byte_ids(b"\xc0\xaf\xe0\x80\xaf"),  # overlong forms
        byte_ids(b"\xf4\x90\x80\x80\xf8\x88\x80\x80\x80"),  # beyond U+10FFFF
        byte_ids(b"\x80\xbf\xff\xfe"),
        byte_ids(bytes(range(256))),
        [151644, 872, 198, 151655, 151655, 151645, 151657, 151658, 151643],
        [151652] + [151655] * 4 + [151653] + byte_ids(ni[:1]) + [151645] + byte_ids(ni[1:]),
        [9707, 151700, 151665, 11, 1879],  # ids beyond the vocabulary are dropped
    ]
    return [{"ids": ids,
             "decoded": tok.decode(ids, skip_special_tokens=False),
             "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)} for ids in seqs]


def gpt2_pieces():
    texts = ["Hello world's  123", "  leading\tand trailing  ", "I'M 2,000km\n\nok", "\u4f60\u597d \U0001f600!!",
             "a\u3000b   c"]
    out = []
    for prefix in (False, True):
        pre = pre_tokenizers.ByteLevel(add_prefix_space=prefix, use_regex=True)
        u2b = {u: b for b, u in byte_to_unicode().items()}
        for text in texts:
            pieces = [bytes(u2b[c] for c in piece).decode() for piece, _ in pre.pre_tokenize_str(text)]
            out.append({"text": text, "add_prefix_space": prefix, "pieces": pieces})
    return out


def to_lines(golden):
    """JSON with one list entry a line, so that a diff shows which case changed."""
    parts = []
    for key, value in golden.items():
        if isinstance(value, list):
            rows = ",\n  ".join(json.dumps(v, ensure_ascii=True) for v in value)
            parts.append(f"{json.dumps(key)}: [\n  {rows}\n]")
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value, ensure_ascii=True)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_INPUT
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "tokenizer.json")
        with gzip.open(src, "rb") as f, open(path, "wb") as out:
            out.write(f.read())
        tok = Tokenizer.from_file(path)

    cases = []
    for text in CORPUS:
        ids = tok.encode(text).ids
        cases.append({"text": text, "ids": ids,
                      "decoded": tok.decode(ids, skip_special_tokens=False),
                      "decoded_skip_special": tok.decode(ids, skip_special_tokens=True)})
    added = [{"id": i, "content": t.content, "special": t.special}
             for i, t in sorted(tok.get_added_tokens_decoder().items())]
    sample = [[i, tok.id_to_token(i)] for i in range(0, tok.get_vocab_size(True), 997)]
    golden = {
        "source": "tokenizers " + __import__("tokenizers").__version__ + " on the Qwen2.5-VL tokenizer.json",
        "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "added_tokens": added,
        "sample_tokens": sample,
        "cases": cases,
        "decode_only": decode_only_cases(tok),
        "gpt2_pieces": gpt2_pieces(),
    }
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(to_lines(golden))
    print(f"{len(cases)} cases, {len(golden['decode_only'])} decode-only -> {OUTPUT}")


if __name__ == "__main__":
    main()
