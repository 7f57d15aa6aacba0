"""Text: a word-and-character tokenizer and a small transformer encoder trained with the model,
or a pretrained encoder loaded offline from a local directory for larger models."""
from __future__ import annotations

import re
from collections import Counter

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import UserError
from .colours import FEATURES as COLOUR_FEATURES, colour_spans, token_colour_features
from .config import TextConfig

PAD, UNK, BOS, QUOTE = 0, 1, 2, 3
SPECIALS = ["<pad>", "<unk>", "<bos>", "<quote>"]
# Quoted text is spelled out character by character (case kept) so the model can learn to draw words.
CHARS = [chr(c) for c in range(33, 127)]
# Single quotes open and close only at a word's edge, so apostrophes ("Let's", "'Don't panic'", "Don’t") neither
# open nor close one; curly quotes too, as keyboards and word processors type them.
_QUOTED = re.compile(r"(?<!\w)'((?:[^']|'(?=\w))*)'(?!\w)|\"([^\"]*)\"|“([^”]*)”|‘((?:[^’]|’(?=\w))*)’(?!\w)")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*|[^\sa-z0-9]", re.IGNORECASE)
# The corpus writes British spellings; a word the vocabulary lacks is read as its British spelling when that is
# a word it knows. Spelled letter by letter, "gray" came out mint as a background (delta E 33; "grey" 13).
_BRITISH = {"gray": "grey", "grayish": "greyish", "color": "colour", "colors": "colours", "colored": "coloured",
            "colorful": "colourful", "center": "centre", "centered": "centred"}


# Words the corpus writes that the vocabulary lacks, which the model learnt letter by letter: which way a shape
# points and stripes run, and stress designs' 'and 42 more shapes, icons and letters' (its style phrases' words
# are left out: they never said anything it could draw).
LEARNT_SPELLED = {"pointing", "facing", "left", "right", "up", "down", "upside", "upside-down", "diagonal",
                  "horizontal", "vertical", "canvas", "more", "shapes", "icons"}


def article_for(following: str, like: str = "a") -> str:
    """'a' or 'an' for the word `following` starts, capitalised as `like` is."""
    article = "an" if following[:1].lower() in tuple("aeiou") else "a"
    return article.capitalize() if like[:1].isupper() else article


_ARTICLE = re.compile(r"^(a|an)\s+", re.IGNORECASE)


def with_article(text: str) -> str:
    """'a'/'an' at the start of `text` made to fit the word after it."""
    match = _ARTICLE.match(text)
    if not match:
        return text
    rest = text[match.end():]
    return article_for(rest, match.group(1)) + " " + rest


class Tokenizer:
    def __init__(self, vocab: list[str], spelled: list[str] = ()):
        self.words = list(vocab)
        self.spelled = LEARNT_SPELLED | {w.lower() for w in spelled}  # words learnt letter by letter
        self.itos = SPECIALS + [f"#{c}" for c in CHARS] + self.words
        self.stoi = {s: i for i, s in enumerate(self.itos)}

    @property
    def size(self) -> int:
        return len(self.itos)

    @staticmethod
    def build_vocab(captions, min_count: int = 2, limit: int = 4000) -> list[str]:
        counts = Counter()
        for caption in captions:
            for kind, piece, _ in _pieces(caption):
                if kind == "word":
                    counts[piece] += 1
        return [w for w, n in counts.most_common(limit) if n >= min_count]

    def encode(self, text: str, max_tokens: int) -> list[int]:
        return self.encode_spans(text, max_tokens)[0]

    def encode_spans(self, text: str, max_tokens: int) -> tuple[list[int], list[tuple[int, int]]]:
        """Token ids and, per token, the (start, end) characters of `text` it came from (BOS: (0, 0))."""
        ids, spans = [BOS], [(0, 0)]
        for kind, piece, start in _pieces(text):
            if kind == "quoted":
                ids.append(QUOTE), spans.append((start - 1, start))
                for k, c in enumerate(piece):
                    if not c.isspace():
                        ids.append(self.stoi.get(f"#{c}", UNK)), spans.append((start + k, start + k + 1))
                ids.append(QUOTE), spans.append((start + len(piece), start + len(piece) + 1))
            elif (word := piece if piece in self.stoi else _BRITISH.get(piece)) in self.stoi:
                ids.append(self.stoi[word]), spans.append((start, start + len(piece)))
            else:
                for k, c in enumerate(piece):
                    ids.append(self.stoi.get(f"#{c}", UNK)), spans.append((start + k, start + k + 1))
        return ids[:max_tokens], spans[:max_tokens]

    def unknown_words(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the words outside quotes that this vocabulary lacks (each read letter by letter)."""
        return [(start, start + len(piece)) for kind, piece, start in _pieces(text)
                if kind == "word" and piece[0].isalpha() and piece not in self.stoi
                and _BRITISH.get(piece) not in self.stoi]

    def learnt_only(self, text: str) -> str:
        """`text` without the words outside quotes that this vocabulary lacks and the model never learnt spelled
        (colour names, the corpus's LEARNT_SPELLED and the names of icons the engine draws stay). Read letter by
        letter, an adjective it never saw took the colour it named: 'A cute blue bird' came out grey; 12 corpus
        icons each with an adjective came out in their colour 9 times, with the adjective left out 12 (as without
        one). What the words mean beyond that, this model cannot draw."""
        from .silhouettes import untrained_spans

        kept = [(a, b) for a, b, _ in colour_spans(text)] + untrained_spans(text)
        out, pos = [], 0
        for a, b in self.unknown_words(text):
            if text[a:b].lower() in self.spelled or any(s < b and a < e for s, e in kept):
                continue
            before = text[pos:a]
            after = re.match(r",?\s*", text[b:]).end()
            article = re.search(r"(?:^|(?<=\s))an?(?=\s+$)", before, re.IGNORECASE)
            if article:  # 'an elegant black swan': 'a black swan'
                fitting = article_for(text[b + after:], article.group())
                before = before[:article.start()] + fitting + before[article.end():]
            out.append(before)
            pos = b + after
        out.append(text[pos:])
        # a sentence of unlearnt words leaves its full stop: 'Make it pop. A red star' -> 'A red star'
        return re.sub(r"^[\s.,;:!?]+|(?<=[.!?])[\s.,;:!?]+(?=\s|$)", "", "".join(out)).rstrip()

    def unread(self, text: str, max_tokens: int) -> str:
        """The end of `text` past the first `max_tokens` tokens (BOS included): what a model reading it ignores."""
        _, spans = self.encode_spans(text, max_tokens + 1)
        return unread_from(text, spans[max_tokens][0]) if len(spans) > max_tokens else ""

    def batch(self, texts: list[str], max_tokens: int, length: int | None = None,
              device=None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, list[list[tuple[int, int]]]]:
        """-> ids (B, T), mask, colour features (B, T, COLOUR_FEATURES), each text's token spans; T is `length`,
        or the longest text's where None."""
        rows = [self.encode_spans(text, max_tokens) for text in texts]
        length = length or max(len(ids) for ids, _ in rows)
        ids = torch.full((len(texts), length), PAD, dtype=torch.long)
        colours = torch.zeros(len(texts), length, COLOUR_FEATURES)
        for i, (text, (row, spans)) in enumerate(zip(texts, rows)):
            ids[i, :len(row)] = torch.tensor(row)
            colours[i, :len(row)] = torch.tensor(token_colour_features(text, spans, quoted_ranges(text)))
        return ids.to(device), (ids != PAD).to(device), colours.to(device), [spans for _, spans in rows]


def quoted_ranges(text: str) -> list[tuple[int, int]]:
    """Character ranges of quoted text (words to draw, not to read: 'RED' is lettering, not a colour)."""
    return [m.span() for m in _QUOTED.finditer(text)]


def unread_from(text: str, start: int) -> str:
    """`text` from character `start`, widened back to the start of a word the token limit cuts (unknown words are
    read letter by letter, subwords piece by piece)."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "-") and text[start].isalnum():
        start -= 1
    return text[start:].strip()


def _pieces(text: str):
    """(kind, piece, start): words lower-cased, quoted text as written; start indexes `text`."""
    pos = 0
    for m in _QUOTED.finditer(text):
        for w in _WORD.finditer(text, pos, m.start()):
            yield "word", w.group().lower(), w.start()
        group = next(g for g in range(1, 5) if m.group(g) is not None)
        yield "quoted", m.group(group), m.start(group)
        pos = m.end()
    for w in _WORD.finditer(text, pos):
        yield "word", w.group().lower(), w.start()


class LocalMixer(nn.Module):
    """Two width-5 convolutions over the token sequence (each token sees +-4 neighbours), added to the embeddings.
    Learned absolute positions start near zero, so attention alone begins as a bag of words and takes long to
    tell "a red circle on white" from "a white circle on red": trained to name a caption's background colour,
    the encoder without this reached 37% after 400 steps of 32, with it 100% after 100 steps.
    The second convolution starts at zero: adding the mixer to a trained encoder leaves its output unchanged."""

    def __init__(self, width: int):
        super().__init__()
        self.conv1 = nn.Conv1d(width, width, 5, padding=2)
        self.conv2 = nn.Conv1d(width, width, 5, padding=2)
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = (x * mask[..., None]).transpose(1, 2)  # padding must not leak into the last real tokens
        return x + self.conv2(F.gelu(self.conv1(h))).transpose(1, 2)


def colour_input(width: int) -> nn.Linear:
    """Each token's colour-name feature (engine/colours.py) into the embedding; zero at first, so adding it to
    trained weights leaves their output unchanged."""
    layer = nn.Linear(COLOUR_FEATURES, width)
    nn.init.zeros_(layer.weight)
    nn.init.zeros_(layer.bias)
    return layer


# In training, this share of colour names loses its tokens (UNK) and keeps only its colour feature: the names'
# letters identify the names the corpus paints (NAMED_COLOURS), so without it the model learnt those spellings
# (after 500 steps painted names came out near their colours, held-out names no nearer than before).
COLOUR_NAME_DROPOUT = 0.5


def drop_colour_names(ids: torch.Tensor, colours: torch.Tensor, rate: float = COLOUR_NAME_DROPOUT) -> torch.Tensor:
    """`ids` with each colour name's tokens (a run of tokens with the same colour feature) made UNK with
    probability `rate`, one draw per name: a name spelled letter by letter stays hidden as a whole."""
    named = colours[..., -1] > 0
    same_as_previous = torch.zeros_like(named)
    same_as_previous[:, 1:] = named[:, :-1] & (colours[:, 1:] == colours[:, :-1]).all(-1)
    name_index = torch.cumsum(named & ~same_as_previous, 1)
    coins = torch.rand(ids.shape, device=ids.device).gather(1, name_index.clamp(max=ids.shape[1] - 1))
    return torch.where(named & (coins < rate), torch.full_like(ids, UNK), ids)


class SmallTextEncoder(nn.Module):
    """Embeddings, a local mixer, a few pre-norm transformer layers; returns token features, mask, pooled vector."""

    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.tokenizer = Tokenizer(cfg.vocab, cfg.spelled)
        self.embed = nn.Embedding(self.tokenizer.size, cfg.width)
        self.colour_in = colour_input(cfg.width)
        self.pos = nn.Parameter(torch.zeros(cfg.max_tokens, cfg.width))
        nn.init.normal_(self.pos, std=0.02)
        self.mixer = LocalMixer(cfg.width)
        layer = nn.TransformerEncoderLayer(cfg.width, cfg.heads, cfg.width * 4, dropout=0.0,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, cfg.depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.width)

    @property
    def width(self) -> int:
        return self.cfg.width

    def unread(self, text: str) -> str:
        if not self.tokenizer.unread(self.tokenizer.learnt_only(text), self.cfg.max_tokens):
            return ""  # read whole once the words it never learnt are left out
        return self.tokenizer.unread(text, self.cfg.max_tokens)

    def forward(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        device = self.pos.device
        if not self.training:  # training reads the captions as written: it learns what it can from them
            texts = [self.tokenizer.learnt_only(text) for text in texts]
        ids, mask, colours, _ = self.tokenizer.batch(texts, self.cfg.max_tokens, self.cfg.max_tokens, device)
        if self.training:
            ids = drop_colour_names(ids, colours)
        x = self.mixer(self.embed(ids) + self.colour_in(colours) + self.pos[: ids.shape[1]], mask)
        x = self.norm(self.layers(x, src_key_padding_mask=~mask))
        x = x * mask[..., None]
        pooled = x.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return x, mask, pooled


class PretrainedTextEncoder(nn.Module):
    """A frozen Hugging Face encoder from a local directory (no network): for larger models.
    Needs the optional `transformers` package; its weights are not part of our safetensors file."""

    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        try:
            from transformers import AutoModel, AutoTokenizer
        except ImportError:
            raise UserError("this model uses a pretrained text encoder: pip install transformers") from None
        try:
            self.hf_tokenizer = AutoTokenizer.from_pretrained(cfg.path, local_files_only=True)
            model = AutoModel.from_pretrained(cfg.path, local_files_only=True).eval()
        except OSError as exc:
            raise UserError(f"cannot load the text encoder from {cfg.path}: {exc}") from None
        model.requires_grad_(False)
        # Kept out of the module tree: its weights live in cfg.path, not in our safetensors file.
        object.__setattr__(self, "hf_model", model)
        self.register_buffer("device_probe", torch.zeros(0), persistent=False)

    @property
    def width(self) -> int:
        return self.hf_model.config.hidden_size

    def unread(self, text: str) -> str:
        """As the small encoder's; "" where the tokenizer cannot map tokens back to characters (a slow one)."""
        tok = self.hf_tokenizer
        kept = self.cfg.max_tokens - tok.num_special_tokens_to_add()
        try:
            offsets = tok(text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        except NotImplementedError:
            return ""
        return unread_from(text, offsets[kept][0]) if len(offsets) > kept else ""

    def forward(self, texts):
        device = self.device_probe.device
        self.hf_model.to(device)
        enc = self.hf_tokenizer(list(texts), padding="max_length", truncation=True,
                                max_length=self.cfg.max_tokens, return_tensors="pt").to(device)
        with torch.no_grad():
            x = self.hf_model(**enc).last_hidden_state
        mask = enc["attention_mask"].bool()
        x = x * mask[..., None]
        pooled = x.sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        return x, mask, pooled


def build_text_encoder(cfg: TextConfig) -> nn.Module:
    if cfg.kind == "small":
        return SmallTextEncoder(cfg)
    if cfg.kind == "pretrained":
        return PretrainedTextEncoder(cfg)
    raise UserError(f"unknown text encoder kind '{cfg.kind}' (small or pretrained)")
