import copy
import threading

import numpy as np
import pytest
import torch

from layerstudio.document import Box, Document, Layout, LayoutError
from layerstudio.engine.config import BACKGROUND, preset
from layerstudio.engine.model import LayerModel
from layerstudio.engine.packing import LayerSlot, by_shape, pack, patchify, token_noise
from layerstudio.engine.pipeline import Pipeline
from layerstudio.engine.request import JobRequest
from layerstudio.engine.transformer import Conditioning, aligned_composite, composite_grid
from layerstudio.errors import Cancelled, UserError


@pytest.fixture(scope="module")
def pipe():
    return Pipeline.from_preset("tiny", seed=0)


def random_boxes(n, size=256, seed=0):
    rng = np.random.default_rng(seed)
    boxes = []
    for _ in range(n):
        w, h = rng.integers(16, 96, 2)
        x, y = rng.integers(-32, size - 16, 2)
        boxes.append([int(x), int(y), int(x + w), int(y + h)])
    return boxes


@pytest.mark.parametrize("count, guidance", [(0, 1.0), (1, 1.0), (7, 3.0), (50, 1.0)])
def test_generate_shapes(pipe, count, guidance):
    layout = Layout(256, 256, "a red star and a blue circle", random_boxes(count, seed=count), seed=3)
    doc = pipe.generate(layout, steps=2, guidance=guidance)
    assert len(doc.layers) == count + 1
    assert doc.layers[0].pixels.shape == (256, 256, 4)
    for layer, box in zip(doc.layers[1:], layout.boxes):
        snapped = box.snapped()
        assert layer.box == snapped  # overflow kept: snapped box, possibly off the canvas
        assert layer.pixels.shape == (snapped.height, snapped.width, 4)
        assert layer.provenance.model_id == pipe.model_id
    assert (doc.layers[0].pixels[..., 3] == 255).all()  # the backdrop is opaque
    if count:  # foreground layers keep the alpha the model gives them
        assert any((l.pixels[..., 3] < 255).any() for l in doc.layers[1:])


def _conditioning(model, batch, layers, t, given, seed=0):
    g = torch.Generator().manual_seed(seed)
    text, mask, pooled = model.text(["a green heart"] * batch)
    return Conditioning(text, mask, pooled, torch.full((batch, layers), t), torch.tensor([given] * batch),
                        torch.randn(batch, layers, pooled.shape[-1], generator=g) * 0.1)


def _randomise(model):
    # zero-initialised gates make a fresh model ignore attention; random weights make the test meaningful
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)


def test_region_crop_equals_full_canvas_with_out_of_box_tokens_masked():
    model = LayerModel(preset("tiny")).eval()
    _randomise(model)
    c = model.autoencoder.latent_channels
    canvas = Box(0, 0, 128, 96)
    boxes = [canvas, Box(16, 16, 64, 48), Box(48, 32, 112, 96)]
    full_latents = [torch.randn(c, 12, 16) for _ in boxes]  # every layer's latent over the whole canvas

    def crop(z, box):
        return z[:, box.y0 // 8:box.y1 // 8, box.x0 // 8:box.x1 // 8]

    given = [True, False, False]
    cond = _conditioning(model, 1, 3, 0.6, given)
    crop_packed = pack([[LayerSlot(BACKGROUND + i, b, crop(z, b)) for i, (b, z) in enumerate(zip(boxes, full_latents))]],
                       4 * c)
    full_packed = pack([[LayerSlot(BACKGROUND + i, canvas, z) for i, z in enumerate(full_latents)]], 4 * c)
    rows, cols = full_packed.pos[0, :, 1], full_packed.pos[0, :, 2]
    inside = torch.zeros_like(full_packed.valid)
    for i, b in enumerate(boxes):
        in_layer = full_packed.layer[0] == i
        inside[0] |= in_layer & (rows >= b.y0 // 16) & (rows < b.y1 // 16) & (cols >= b.x0 // 16) & (cols < b.x1 // 16)
    # each token's place within its box is part of its input: the full-canvas tokens take the boxes' places
    full_packed.local[inside] = crop_packed.local[0]
    with torch.no_grad():
        crop_out = model.transformer(crop_packed, cond)
        full_out = model.transformer(full_packed, cond, key_visible=inside)
        # content outside every box never changes the result
        full_packed.tokens[~inside] = torch.randn_like(full_packed.tokens[~inside]) * 10
        perturbed = model.transformer(full_packed, cond, key_visible=inside)
    assert crop_out.shape[1] == int(inside.sum())
    torch.testing.assert_close(full_out[inside], crop_out[0], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(perturbed[inside], full_out[inside], atol=1e-5, rtol=1e-5)
    assert not torch.allclose(crop_out, model.transformer(
        pack([[LayerSlot(BACKGROUND + i, b, crop(z, b) * 2) for i, (b, z) in enumerate(zip(boxes, full_latents))]],
             4 * c), cond), atol=1e-3)  # and in-box content does matter


def test_each_token_knows_its_place_in_its_own_box():
    model = LayerModel(preset("tiny")).eval()
    _randomise(model)
    c = model.autoencoder.latent_channels
    # the same content in a 3x2-cell box and in the left 3x2 cells of a 6x2-cell box at the same canvas place
    z = torch.randn(c, 4, 6)
    small = pack([[LayerSlot(BACKGROUND, Box(0, 0, 48, 32), z)]], 4 * c)
    assert small.local[0, :, 0].tolist() == pytest.approx([1 / 6, 3 / 6, 5 / 6] * 2)
    assert small.local[0, :, 1].tolist() == pytest.approx([0.25] * 3 + [0.75] * 3)
    assert small.local[0, :, 2:].tolist() == [[3.0, 2.0]] * 6
    wide = pack([[LayerSlot(BACKGROUND, Box(0, 0, 96, 32), torch.cat([z, torch.zeros(c, 4, 6)], dim=2))]], 4 * c)
    left = torch.tensor([0, 1, 2, 6, 7, 8])
    cond = _conditioning(model, 1, 1, 0.6, [False])
    with torch.no_grad():
        a = model.transformer(small, cond, key_visible=None)[0]
        wide_left_only = wide.valid.clone()
        wide_left_only[0] = False
        wide_left_only[0, left] = True
        b = model.transformer(wide, cond, key_visible=wide_left_only)[0, left]
        wide.local[0, left] = small.local[0]
        same_place = model.transformer(wide, cond, key_visible=wide_left_only)[0, left]
    # same tokens, same canvas cells, same visible keys: only the place within the box differs
    assert not torch.allclose(a, b, atol=1e-3)
    torch.testing.assert_close(a, same_place, atol=1e-4, rtol=1e-4)


def test_cached_context_path_equals_one_masked_pass():
    model = LayerModel(preset("tiny")).eval()
    _randomise(model)
    c = model.autoencoder.latent_channels
    slots = [LayerSlot(BACKGROUND, Box(0, 0, 64, 64), torch.randn(c, 8, 8)),
             LayerSlot(BACKGROUND + 1, Box(-16, 0, 32, 32), torch.randn(c, 4, 6)),
             LayerSlot(BACKGROUND + 2, Box(32, 32, 64, 64), torch.randn(c, 4, 4))]
    given = [True, False, True]
    cond = _conditioning(model, 1, 3, 0.4, given)
    with torch.no_grad():
        full = model.transformer(pack([slots], 4 * c), cond)
        ctx = [s for s, g in zip(slots, given) if g]
        gen = [s for s, g in zip(slots, given) if not g]
        pick = lambda idx: Conditioning(cond.text, cond.text_mask, cond.pooled, cond.layer_t[:, idx],
                                        cond.layer_given[:, idx], cond.hint[:, idx])
        cache = model.transformer.encode_context(pack([ctx], 4 * c), pick([0, 2]))
        cached = model.transformer.forward_generated(pack([gen], 4 * c), pick([1]), cache)
    start = 64 // 16 * 64 // 16
    torch.testing.assert_close(cached[0], full[0, start:start + cached.shape[1]], atol=1e-4, rtol=1e-4)


def test_aligned_composite_gives_each_token_its_own_canvas_cell():
    grid = torch.arange(2 * 3 * 2, dtype=torch.float32).reshape(1, 2, 3, 2)  # 2 rows x 3 cols of 2-dim tokens
    pos = torch.tensor([[[2, 0, 0], [2, 1, 2], [3, -1, 0], [3, 0, 3]]], dtype=torch.float32)
    out = aligned_composite(grid, torch.ones(1, 2, 3, dtype=torch.bool), pos)
    assert out[0, 0].tolist() == [0, 1, 1] and out[0, 1].tolist() == [10, 11, 1]
    assert out[0, 2].tolist() == [0, 0, 0] and out[0, 3].tolist() == [0, 0, 0]  # off the canvas: nothing
    assert aligned_composite(grid, torch.zeros(1, 2, 3, dtype=torch.bool), pos).abs().sum() == 0
    # in a padded batch, cells beyond this design's smaller canvas count as off the canvas
    smaller = torch.ones(1, 2, 3, dtype=torch.bool)
    smaller[0, :, 2] = False
    out = aligned_composite(grid, smaller, pos)
    assert out[0, 0].tolist() == [0, 1, 1] and out[0, 1].tolist() == [0, 0, 0]


def test_decomposition_reads_the_composite_in_both_paths():
    model = LayerModel(preset("tiny")).eval()
    _randomise(model)
    c = model.autoencoder.latent_channels
    canvas = Box(0, 0, 64, 64)
    composite = LayerSlot(0, canvas, torch.randn(c, 8, 8))
    slots = [composite, LayerSlot(BACKGROUND, canvas, torch.randn(c, 8, 8)),
             LayerSlot(BACKGROUND + 1, Box(16, 16, 48, 48), torch.randn(c, 4, 4))]
    given = [True, False, False]

    def cond_for(grid_latent, idx=(0, 1, 2)):
        base = _conditioning(model, 1, 3, 0.7, given)
        grid = composite_grid(patchify(grid_latent), 4, 4)[None]
        idx = list(idx)
        return Conditioning(base.text, base.text_mask, base.pooled, base.layer_t[:, idx], base.layer_given[:, idx],
                            base.hint[:, idx], grid, torch.ones(1, 4, 4, dtype=torch.bool))

    with torch.no_grad():
        full = model.transformer(pack([slots], 4 * c), cond_for(composite.latent))
        cache = model.transformer.encode_context(pack([slots[:1]], 4 * c), cond_for(composite.latent, [0]))
        cached = model.transformer.forward_generated(pack([slots[1:]], 4 * c), cond_for(composite.latent, [1, 2]),
                                                     cache)
        other = model.transformer(pack([slots], 4 * c), cond_for(composite.latent * -1))
    torch.testing.assert_close(cached[0], full[0, 16:], atol=1e-4, rtol=1e-4)
    assert not torch.allclose(other[0, 16:], full[0, 16:], atol=1e-3)  # the aligned input matters


def test_quotes_mark_lettering_but_apostrophes_do_not():
    from layerstudio.engine.text import QUOTE, Tokenizer, quoted_ranges

    def quoted(text):
        return [text[a:b] for a, b in quoted_ranges(text)]

    assert quoted("Let's draw the word 'HI' in red, it's fun.") == ["'HI'"]
    assert quoted("'Don't panic' on white, \u2018Let\u2019s go\u2019 in red") == ["'Don't panic'", "\u2018Let\u2019s go\u2019"]
    assert quoted('The word "Don\'t panic!" in black.') == ['"Don\'t panic!"']
    assert quoted("A \u201cSALE\u201d sign and a \u2018NEW\u2019 badge, don\u2019t you think") == [
        "\u201cSALE\u201d", "\u2018NEW\u2019"]
    tokenizer = Tokenizer(["a", "sign"])
    ids = tokenizer.encode("A \u201cSALE\u201d sign", 32)
    assert ids.count(QUOTE) == 2 and ids == tokenizer.encode("A 'SALE' sign", 32)  # read as lettering either way


def test_the_text_encoder_leaves_out_words_it_never_learnt():
    from layerstudio.engine.text import SmallTextEncoder, Tokenizer

    tokenizer = Tokenizer(["a", "an", "red", "car", "on", "white", "background", "black", "swan", "star", "arrow",
                           "word", "in", "the", "with", "drop", "shadow"])
    assert tokenizer.learnt_only("A shiny red sports car on a white background.") == "A red car on a white background."
    assert tokenizer.learnt_only("An elegant, tiny black swan") == "A black swan"  # the article fits again
    assert tokenizer.learnt_only("Make it pop. A red star. Very fancy!") == "A red star."
    # colour names, lettering, the corpus's spelled words and icons the engine draws stay, though spelled
    kept = "a navy arrow pointing left, the word 'Sale' in red, a white dolphin with a drop shadow"
    assert tokenizer.learnt_only(kept) == kept

    cfg = preset("tiny").text
    cfg.vocab = ["a", "red", "star", "on", "white"]
    encoder = SmallTextEncoder(cfg).eval()
    with torch.no_grad():
        plain, shiny = encoder(["a red star on white"])[2], encoder(["a shiny red star on white"])[2]
        assert torch.equal(plain, shiny)
        encoder.train()  # training reads the captions as written
        assert not torch.equal(encoder(["a red star on white"])[2], encoder(["a shiny red star on white"])[2])


def test_the_unread_end_of_a_long_prompt_or_hint_is_reported():
    pipe = Pipeline.from_preset("tiny")
    limit = pipe.config.text.max_tokens  # 16 on tiny, BOS included
    tokenizer = pipe.model.text.tokenizer
    words = ["red", "blue", "green", "pink"] * limit  # colour names: read even where spelled letter by letter
    assert not pipe.model.text.unread("a red kite " + " ".join(f"w{k}" for k in range(limit + 4)))  # never learnt
    short = "a red kite"
    assert tokenizer.unread(short, limit) == ""
    long = "a red kite with a tail over " + " ".join(words)
    unread = tokenizer.unread(long, limit)
    read = long[: len(long) - len(unread)]
    assert unread and long.endswith(unread) and read.endswith(" ")  # a word the limit cuts is shown whole
    assert len(tokenizer.encode(read, 99)) <= limit < len(tokenizer.encode(read + unread.split()[0], 99))

    layout = Layout(64, 64, long, [Box(0, 0, 32, 32)], seed=1)
    document = pipe.generate(layout, steps=1)
    unread_notices = lambda request: [n for n in pipe.run(request).notices if "longer than this model reads" in n]
    notices = unread_notices(JobRequest.regenerate(document, 1, seed=2, hint=long))
    assert len(notices) == 2 and all(unread[:20] in n for n in notices)
    assert notices[0].startswith("The prompt ") and notices[1].startswith("Layer 1's hint ")
    document.prompt = short
    assert unread_notices(JobRequest.regenerate(document, 1, seed=2, hint="blue")) == []
    # a prompt that runs past the limit by its final stop alone loses nothing worth a notice
    fits = "a"
    while tokenizer.unread(fits + ".", limit) == "":
        fits += " a"
    assert tokenizer.unread(fits + ".", limit) == "." and tokenizer.unread(fits, limit) == ""
    document.prompt = fits + "."
    assert unread_notices(JobRequest.regenerate(document, 1, seed=2)) == []


def test_guidance_branch_knows_neither_the_prompt_nor_the_layer_hints(monkeypatch):
    pipe = Pipeline.from_preset("tiny", seed=0)
    seen = []
    real = pipe.model.transformer.forward_generated

    def spy(packed, cond, cache):
        seen.append(cond.hint.clone())
        return real(packed, cond, cache)

    monkeypatch.setattr(pipe.model.transformer, "forward_generated", spy)
    doc = pipe.generate(Layout(128, 128, "a red star", random_boxes(2, 128, seed=1), seed=2), steps=2)
    pipe.regenerate(doc, 1, seed=7, hint="a yellow star", steps=2, guidance=3.0)
    hint = seen[-1]
    assert hint.shape[0] == 2  # the prompted branch and the unconditional one
    assert hint[0].abs().sum() > 0 and hint[1].abs().sum() == 0
    pipe.regenerate(doc, 1, seed=7, hint="a yellow star", steps=2, guidance=1.0)
    assert seen[-1].shape[0] == 1 and seen[-1][0].abs().sum() > 0  # no guidance: one branch, with the hint


def test_regenerate_changes_only_that_layer(pipe):
    doc = pipe.generate(Layout(128, 128, "shapes", random_boxes(4, 128, seed=5), seed=11), steps=2)
    again = pipe.regenerate(doc, 2, seed=12345, hint="a yellow star", steps=2)
    for i, (a, b) in enumerate(zip(doc.layers, again.layers)):
        if i == 2:
            assert not np.array_equal(a.pixels, b.pixels)
            assert b.seed == 12345 and b.hint == "a yellow star"
            assert len(b.variations) == 1 and np.array_equal(b.variations[0].pixels, a.pixels)
        else:
            assert np.array_equal(a.pixels, b.pixels) and a.box == b.box
    # same seed again: same pixels (noise depends only on the layer's seed)
    twice = pipe.regenerate(doc, 2, seed=12345, hint="a yellow star", steps=2)
    assert np.array_equal(twice.layers[2].pixels, again.layers[2].pixels)


def test_repeated_regeneration_reuses_the_context_pass(monkeypatch):
    layout = Layout(128, 128, "shapes", random_boxes(3, 128, seed=6), seed=2)
    warm = Pipeline.from_preset("tiny", seed=0)
    doc = warm.generate(layout, steps=2)
    calls = []
    original = warm.model.transformer.encode_context
    monkeypatch.setattr(warm.model.transformer, "encode_context", lambda *a: calls.append(1) or original(*a))
    warm.regenerate(doc, 1, seed=5, steps=2, guidance=2.0)
    again = warm.regenerate(doc, 1, seed=6, steps=2, guidance=2.0)
    assert len(calls) == 1  # the second regeneration of the same layer skipped the context pass
    fresh = Pipeline.from_preset("tiny", seed=0).regenerate(doc, 1, seed=6, steps=2, guidance=2.0)
    assert np.array_equal(again.layers[1].pixels, fresh.layers[1].pixels)
    # another layer changed: the context is computed anew, and the result matches a fresh pipeline's
    edited = copy.deepcopy(doc)
    edited.layers[2].pixels = 255 - edited.layers[2].pixels
    changed = warm.regenerate(edited, 1, seed=6, steps=2, guidance=2.0)
    assert len(calls) == 2
    fresh = Pipeline.from_preset("tiny", seed=0).regenerate(edited, 1, seed=6, steps=2, guidance=2.0)
    assert np.array_equal(changed.layers[1].pixels, fresh.layers[1].pixels)


def test_decompose_returns_layers_for_the_boxes(pipe):
    image = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    doc = pipe.decompose(image, [[0, 0, 40, 40], [30, 30, 100, 90]], "two things", seed=2, steps=2)
    assert [l.box for l in doc.layers] == [Box(0, 0, 128, 96), Box(0, 0, 48, 48), Box(16, 16, 112, 96)]


def test_progress_and_cancel_within_one_step(pipe):
    cancel = threading.Event()
    seen = []

    def progress(step, total, preview):
        seen.append(step)
        assert preview.shape == (128, 128, 4) and preview.dtype == np.uint8
        if step == 2:
            cancel.set()

    with pytest.raises(Cancelled):
        pipe.generate(Layout(128, 128, "x", [[0, 0, 64, 64]]), steps=6, progress=progress, cancel=cancel)
    assert seen == [1, 2]


def test_cancel_takes_effect_inside_a_step_before_the_next_module(pipe):
    """On a 4096 px canvas one step ran for minutes: Cancel must not wait for the step's end."""
    cancel = threading.Event()
    blocks = list(pipe.model.transformer.modules())
    calls_after = []

    def set_in_the_first_pass(module, args, output):
        if cancel.is_set():
            calls_after.append(module)
        cancel.set()

    handles = [m.register_forward_hook(set_in_the_first_pass) for m in blocks]
    try:
        with pytest.raises(Cancelled):
            pipe.generate(Layout(128, 128, "x", [[0, 0, 64, 64]]), steps=6, cancel=cancel)
    finally:
        for handle in handles:
            handle.remove()
    # modules already running finish (each is a parent of the one that set it); none starts after
    assert all(any(child is not m for child in m.modules()) for m in calls_after)
    torch.nn.Linear(2, 2)(torch.zeros(1, 2))  # the job's hook is gone: modules run again with the event set
    assert pipe.generate(Layout(64, 64, "x", [[0, 0, 32, 32]]), steps=1).layers


def test_attention_over_many_rows_runs_in_blocks_with_the_same_output_and_cancels_between_them(pipe, monkeypatch):
    import layerstudio.engine.layers as layers

    torch.manual_seed(0)
    q, k, v = torch.randn(2, 4, 300, 16), torch.randn(2, 4, 350, 16), torch.randn(2, 4, 350, 16)
    for mask in (torch.rand(2, 1, 300, 350) > 0.3, torch.rand(2, 1, 1, 350) > 0.3, None):
        with torch.inference_mode():
            whole = layers.attention(q, k, v, mask)
            monkeypatch.setattr(layers, "ATTENTION_CHUNK", 100 * 350)
            assert torch.equal(layers.attention(q, k, v, mask), whole)
            monkeypatch.setattr(layers, "ATTENTION_CHUNK", 1 << 27)
    # a job's cancel stops it between two blocks of one attention call
    monkeypatch.setattr(layers, "ATTENTION_CHUNK", 64)
    cancel, blocks = threading.Event(), []
    handle = layers._gate.register_forward_hook(lambda module, args, out: blocks.append(1) or cancel.set())
    try:
        with pytest.raises(Cancelled):
            pipe.generate(Layout(128, 128, "x", [[0, 0, 64, 64]]), steps=2, cancel=cancel)
    finally:
        handle.remove()
    assert blocks == [1]


def test_a_hidden_layer_is_context_but_not_in_the_pictures_a_job_composes(pipe):
    doc = pipe.generate(Layout(64, 64, "x", [[0, 0, 32, 32], [32, 32, 64, 64]]), steps=1)
    magenta = np.array([255, 0, 255, 255], np.uint8)
    doc.layers[2].pixels = np.broadcast_to(magenta, (32, 32, 4)).copy()  # opaque: plain to see
    doc.layers[2].visible = False
    previews = []
    request = JobRequest.regenerate(doc, 1, seed=3, steps=2)
    result = pipe.run(request, progress=lambda step, total, preview: previews.append(preview))
    assert request.layers[2].given is not None and not request.layers[2].visible
    for picture in previews + [result.composite]:  # the hidden square was shown while the job ran
        assert not (picture[32:, 32:] == magenta).all()
    doc.layers[2].visible = True
    shown = pipe.run(JobRequest.regenerate(doc, 1, seed=3, steps=2)).composite
    assert (shown[32:, 32:] == magenta).all()


def test_request_serialises(pipe):
    doc = pipe.generate(Layout(64, 64, "x", [[0, 0, 32, 32]]), steps=1)
    doc.layers[1].visible = False
    request = JobRequest.regenerate(doc, 1, seed=5, hint="h")
    again = JobRequest.from_json(request.to_json())
    assert again.kind == "regenerate" and again.layers[1].hint == "h" and not again.layers[1].visible
    assert np.array_equal(again.layers[0].given, request.layers[0].given)


def test_bad_requests_are_named():
    from layerstudio.engine.request import LayerSpec

    background = LayerSpec(Box(0, 0, 64, 64))
    with pytest.raises(LayoutError, match=r"box 1 \(0, 0, 10, 16\) is not snapped"):
        JobRequest("generate", 64, 64, "", [background, LayerSpec(Box(0, 0, 10, 16))]).validate()
    with pytest.raises(LayoutError, match="box 1 .* lies entirely outside"):
        JobRequest("generate", 64, 64, "", [background, LayerSpec(Box(64, 64, 80, 80))]).validate()
    with pytest.raises(LayoutError, match="steps 0"):
        JobRequest("generate", 64, 64, "", [background], steps=0).validate()


def test_weights_schema_errors_name_the_tensor(tmp_path):
    from safetensors.torch import load_file, save_file

    pipe = Pipeline.from_preset("tiny")
    pipe.save(tmp_path / "ok")
    loaded = Pipeline.load(tmp_path / "ok")
    assert loaded.model_id.startswith("tiny-")
    tensors = load_file(tmp_path / "ok" / "model.safetensors")

    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "config.json").write_text((tmp_path / "ok" / "config.json").read_text())
    gone = dict(tensors)
    del gone["transformer.final.weight"]
    save_file(gone, tmp_path / "missing" / "model.safetensors")
    with pytest.raises(UserError, match=r"missing tensor 'transformer.final.weight' \(expected shape \(16, 32\)\)"):
        Pipeline.load(tmp_path / "missing")

    (tmp_path / "shape").mkdir()
    (tmp_path / "shape" / "config.json").write_text((tmp_path / "ok" / "config.json").read_text())
    bad = dict(tensors)
    bad["transformer.img_in.weight"] = torch.zeros(32, 99)
    save_file(bad, tmp_path / "shape" / "model.safetensors")
    with pytest.raises(UserError, match=r"'transformer.img_in.weight' has shape \(32, 99\), the model expects \(32, 16\)"):
        Pipeline.load(tmp_path / "shape")

    (tmp_path / "corrupt").mkdir()
    (tmp_path / "corrupt" / "config.json").write_text((tmp_path / "ok" / "config.json").read_text())
    (tmp_path / "corrupt" / "model.safetensors").write_bytes(b"\x10\x00garbage")
    with pytest.raises(UserError, match="corrupt"):
        Pipeline.load(tmp_path / "corrupt")


def _set(path, value):
    """A change to the tiny preset's config.json: `path` is keys (and indices) into it, `value` its new value."""
    def change(data):
        *outer, last = path
        for key in outer:
            data = data[key]
        data[last] = value
    return change


BAD_CONFIGS = [  # (change to the tiny config's JSON, or the file's bytes; what the error must say)
    (_set(["transformer", "width"], "abc"), r"'transformer.width' is \"abc\", expected an integer"),
    (_set(["latent_factor"], 3), r"'latent_factor' is 3, expected 8"),
    (_set(["grid"], 32), r"'grid' is 32, expected 16"),
    (_set(["autoencoder", "encoder_channels"], [8, 8, 8]), r"'autoencoder.encoder_channels' has 3 entries, expected 4"),
    (_set(["autoencoder", "decoder_channels", 1], 2.5), r"'autoencoder.decoder_channels\[1\]' is 2.5, expected an integer"),
    (_set(["autoencoder", "decoder_glyph"], "yes"), r"'autoencoder.decoder_glyph' is \"yes\", expected true or false"),
    (_set(["transformer", "heads"], 5), r"'transformer.width' 32 and 'transformer.heads' 5"),
    (_set(["transformer", "mlp_ratio"], float("nan")), r"'transformer.mlp_ratio' is NaN, expected a number"),
    (_set(["text", "width"], 10**12), r"'text.width' is 1000000000000, expected an integer from 1 to 16384"),
    (_set(["text", "vocab", 0], 7), r"'text.vocab\[0\]' is 7, expected a string"),
    (_set(["text", "kind"], "huge"), r"'text.kind' is \"huge\", expected \"small\" or \"pretrained\""),
    (_set(["text", "colour"], 1), r"unknown key 'text.colour' \(expected keys of 'text': kind, path, "),
    (_set(["extra"], 1), r"unknown key 'extra' \(expected keys: name, autoencoder, "),
    (_set(["autoencoder"], [1, 2]), r"'autoencoder' is \[1, 2\], expected an object"),
    (_set(["max_layers"], 10), r"'max_layers' is 10, expected an integer from 52 to"),
    (_set(["default_steps"], 0), r"'default_steps' is 0, expected an integer from 1 to 1000"),
    (_set(["guidance"], True), r"'guidance' is true, expected a number"),
    (_set(["canvas_presets", 1], [256]), r"'canvas_presets\[1\]' is \[256\], expected a list of 2 integers"),
    (_set(["canvas_presets", 0], [200, 192]), r"'canvas_presets\[0\]' is \[200, 192\], expected sides that are"),
    (_set(["canvas_presets"], []), r"'canvas_presets' is empty"),
    (b"[1, 2]", r"the whole config is \[1, 2\], expected an object"),
    (b'{"name": "tiny",', r"is not valid JSON"),
    (b"\x89PNG\r\n\x1a\n\xff\xfe\x00", r"is not a JSON text file"),
    (b"[" * 100_000, r"nested too deep"),
]


@pytest.mark.parametrize("change, message", BAD_CONFIGS, ids=range(len(BAD_CONFIGS)))
def test_a_bad_model_config_is_a_user_error_naming_the_file_and_the_field(tmp_path, change, message):
    import json

    from layerstudio.engine.config import CONFIG_FILE, ModelConfig

    if isinstance(change, bytes):
        (tmp_path / CONFIG_FILE).write_bytes(change)
    else:
        data = json.loads(json.dumps(preset("tiny").to_json()))
        data["text"]["vocab"] = ["a", "red", "star"]
        change(data)
        (tmp_path / CONFIG_FILE).write_text(json.dumps(data))
    for load in (lambda: ModelConfig.load(tmp_path / CONFIG_FILE), lambda: LayerModel.load(tmp_path)):
        with pytest.raises(UserError, match=message) as caught:
            load()
        assert str(caught.value).startswith(f"model config {tmp_path / CONFIG_FILE}")


def test_every_preset_and_the_shipped_model_pass_the_config_checks():
    from layerstudio import DEFAULT_MODEL_DIR
    from layerstudio.engine.config import CONFIG_FILE, ModelConfig

    for name in ("tiny", "default", "large"):
        assert ModelConfig.from_json(preset(name).to_json()) == preset(name)
    shipped = ModelConfig.load(DEFAULT_MODEL_DIR / CONFIG_FILE)
    assert shipped.autoencoder.encoder_channels == (16, 32, 64, 64) and shipped.canvas_presets[0] == (192, 192)
    model, model_id = LayerModel.load(DEFAULT_MODEL_DIR)
    assert model.cfg == shipped and model_id


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_weights_with_non_finite_values_are_refused_naming_the_tensor(tmp_path, value):
    from safetensors.torch import load_file, save_file

    from layerstudio.training.train import init_from

    Pipeline.from_preset("tiny").save(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    tensors["transformer.final.weight"][3, 5] = value
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(UserError, match=r"model.safetensors: tensor 'transformer.final.weight' holds 1 NaN or inf"):
        Pipeline.load(tmp_path)
    with pytest.raises(UserError, match=r"--init .*tensor 'transformer.final.weight'"):
        init_from(LayerModel(preset("tiny")), tmp_path / "model.safetensors")


def test_a_few_optimisation_steps_lower_the_loss(tmp_path):
    from argparse import Namespace

    from layerstudio.training.corpus import make_design
    from layerstudio.training.train import Trainer, to_sample

    args = Namespace(out=str(tmp_path), preset="tiny", data="corpus", steps=0, ae_steps=0, batch=2, lr=3e-3,
                     seed=0, checkpoint_every=100, time_limit=None, resume=False, device="cpu")
    trainer = Trainer(args)
    trainer.state["phase"] = "dit"
    trainer.optim = trainer._make_optimizer()
    samples = [to_sample(make_design(s, canvas=(64, 64), max_layers=2)) for s in (1, 2)]

    def loss_at(seed):
        import random

        torch.manual_seed(seed)
        return trainer.dit_loss(samples, random.Random(seed))[0]

    with torch.no_grad():
        before = float(loss_at(0))
    for step in range(30):
        trainer.optim.zero_grad()
        loss_at(step % 3).backward()
        trainer.optim.step()
    with torch.no_grad():
        after = float(loss_at(0))
    assert after < before * 0.9


def test_text_mixer_starts_as_identity_then_sees_four_neighbours_each_side():
    from layerstudio.engine.text import LocalMixer

    torch.manual_seed(0)
    mixer = LocalMixer(8)
    x = torch.randn(1, 11, 8)
    mask = torch.ones(1, 11, dtype=torch.bool)
    torch.testing.assert_close(mixer(x, mask), x)  # zero-initialised: a trained encoder keeps its output
    torch.nn.init.normal_(mixer.conv2.weight)
    nudged = x.clone()
    nudged[:, 5] += 1.0
    moved = (mixer(nudged, mask) - mixer(x, mask) - (nudged - x)).abs().sum(-1)[0]
    assert (moved[1:10] > 0).all() and moved[0] == 0 and moved[10] == 0
    padded = mask.clone()
    padded[:, 8:] = False
    noise = x.clone()
    noise[:, 8:] = torch.randn(1, 3, 8) * 10  # padding must not leak into the last real tokens
    torch.testing.assert_close(mixer(noise, padded)[:, :8], mixer(x, padded)[:, :8])


def test_token_noise_gives_each_layer_its_own_channel_offsets():
    channels, grid = 3, 16
    designs = [[LayerSlot(BACKGROUND + i, Box(0, 0, 512, 512), torch.zeros(channels, 64, 64)) for i in range(3)]
               for _ in range(2)]
    packed = pack(designs, channels * 4, grid)
    torch.manual_seed(0)
    noise = token_noise(packed, 0.5)
    for d, spans in enumerate(packed.spans):
        layer_means = [noise[d, start:end].mean(0).view(channels, 4) for start, end, _, _ in spans]
        for m in layer_means:  # the 2x2 positions of one channel share its offset (1024 tokens: mean err ~0.03)
            assert (m - m.mean(-1, keepdim=True)).abs().max() < 0.15
        assert (layer_means[0] - layer_means[1]).abs().max() > 0.2
    plain = token_noise(packed, 0.0)
    assert plain[0, :1024].mean(0).abs().max() < 0.15


@pytest.mark.parametrize("mixed", [False, True])
def test_every_job_runs_with_and_without_mixed_precision(monkeypatch, mixed):
    """GPUs run under autocast, CPUs only where bf16 is the faster: both paths must run every job kind (with bf16
    weights and no autocast, as GPUs ran before, the planner failed on a float input)."""
    import layerstudio.engine.device as device

    monkeypatch.setattr(device, "cpu_bf16_pays", lambda: mixed)
    pipe = Pipeline.from_preset("tiny", seed=0)
    assert all(p.dtype == torch.float32 for p in pipe.model.parameters())
    layout = Layout(128, 128, "A red circle and a blue star on white.", [[0, 0, 64, 64], [48, 48, 128, 112]], 1)
    doc = pipe.generate(layout, steps=2)
    again = pipe.regenerate(doc, 2, seed=9, hint="a green square", steps=2)
    split = pipe.decompose(doc.compose(), [[0, 0, 64, 64]], "a circle", seed=2, steps=2)
    for result, boxes in ((doc, layout.boxes), (again, layout.boxes), (split, [Box(0, 0, 64, 64)])):
        assert [l.pixels.shape[:2] for l in result.layers[1:]] == [(b.height, b.width) for b in boxes]
        assert all(np.isfinite(l.pixels).all() for l in result.layers)
    assert again.layers[2].name == "Green square" and not np.array_equal(again.layers[2].pixels, doc.layers[2].pixels)


def test_by_shape_makes_one_call_per_size_and_keeps_the_order():
    sizes = [(8, 8), (16, 8), (8, 8), (16, 8), (8, 16)]
    images = [torch.randn(4, h, w) for h, w in sizes]
    calls = []

    def double(batch):
        calls.append(tuple(batch.shape))
        return batch * 2

    out = by_shape(double, images)
    assert sorted(calls) == [(1, 4, 8, 16), (2, 4, 8, 8), (2, 4, 16, 8)]
    assert all(torch.equal(o, 2 * i) for o, i in zip(out, images))


def test_layers_decoded_together_match_each_decoded_alone():
    """The decoder upsamples same-sized layers as one batch: no layer may see another's pixels there."""
    torch.manual_seed(0)
    model = LayerModel(preset("tiny")).eval()
    ae = model.autoencoder
    boxes = [Box(0, 0, 64, 64), Box(0, 0, 32, 32), Box(32, 16, 64, 48), Box(16, 16, 48, 48)]
    slots = [LayerSlot(BACKGROUND + i, b, torch.randn(ae.latent_channels, b.height // 8, b.width // 8))
             for i, b in enumerate(boxes)]
    with torch.no_grad():
        together = ae.decode([slots])[0]
        for j in range(len(slots)):
            alone = ae.decode([slots], [[k == j for k in range(len(slots))]])[0]
            assert all(img is None for k, img in enumerate(alone) if k != j)
            assert torch.allclose(alone[j], together[j], atol=1e-5)


def test_decoder_reads_each_layers_glyph_at_pixel_resolution():
    """A layer's glyph reaches its own upsampler only; zero-initialised, so a model trained without it decodes as it
    did, and a model whose config predates it has no such weights to load."""
    from layerstudio.engine.config import ModelConfig

    torch.manual_seed(0)
    ae = LayerModel(preset("tiny")).eval().autoencoder
    boxes = [Box(0, 0, 64, 32), Box(16, 0, 48, 32)]
    latents = [torch.randn(ae.latent_channels, b.height // 8, b.width // 8) for b in boxes]
    stripes = torch.zeros(32, 64)
    stripes[:, ::4] = 1.0

    def decode(glyph):
        slots = [LayerSlot(BACKGROUND, boxes[0], latents[0], glyph), LayerSlot(BACKGROUND + 1, boxes[1], latents[1])]
        with torch.no_grad():
            return ae.decode([slots])[0]

    plain, striped = decode(None), decode(stripes)
    assert all(torch.equal(a, b) for a, b in zip(plain, striped))
    for conv in ae.decoder.glyph_in:
        torch.nn.init.normal_(conv.weight, std=0.1)
    plain, striped = decode(None), decode(stripes)
    assert not torch.allclose(plain[0], striped[0], atol=1e-3)
    assert torch.allclose(plain[1], striped[1], atol=1e-5)  # the other layer, without a glyph, decodes as before
    # read at pixel resolution: stripes a pixel over (alike in every 8 x 8 latent cell) decode otherwise
    assert not torch.allclose(decode(torch.roll(stripes, 1, dims=1))[0], striped[0], atol=1e-3)
    data = preset("default").to_json()
    del data["autoencoder"]["decoder_glyph"]
    old = ModelConfig.from_json(data)
    assert not old.autoencoder.decoder_glyph and LayerModel(old).autoencoder.decoder.glyph_in is None


def test_a_canvas_larger_than_the_model_was_trained_on_is_reported():
    pipe = Pipeline.from_preset("tiny")
    largest = max(max(size) for size in pipe.config.canvas_presets)
    for width, told in ((largest, False), (largest + 64, True)):
        document = Document.from_layout(Layout(width, 64, "", [Box(0, 0, 32, 32)], seed=1))
        notices = pipe.run(JobRequest.generate(document, 1, None)).notices
        assert any(f"up to {largest} px" in n and f"{width} x 64" in n for n in notices) == told


def test_a_canvas_larger_than_the_model_trained_on_gets_a_notice():
    pipe = Pipeline.from_preset("tiny")
    trained = max(max(size) for size in pipe.config.canvas_presets)
    big = JobRequest.from_layout(Layout(trained + 16, trained, "", [Box(0, 0, 16, 16)], seed=1))
    small = JobRequest.from_layout(Layout(trained, trained, "", [Box(0, 0, 16, 16)], seed=1))
    assert [n for n in pipe.notices(big) if f"trained on canvases up to {trained} px" in n and "bands" in n]
    assert not [n for n in pipe.notices(small) if "trained on canvases" in n]


def test_a_prompt_asking_for_no_background_gets_a_transparent_one():
    from layerstudio.engine.pipeline import wants_no_background

    assert wants_no_background("no background, just a red star") and wants_no_background("on a transparent backdrop")
    assert wants_no_background("the background should be transparent") and not wants_no_background("a red star on white")
    pipe = Pipeline.from_preset("tiny", seed=0)
    clear = pipe.generate(Layout(64, 64, "a red star, no background", [Box(0, 0, 32, 32)], seed=1), steps=1)
    assert clear.layers[0].pixels.max() == 0 and clear.compose()[48:, 48:, 3].max() == 0
    opaque = pipe.generate(Layout(64, 64, "a red star on white", [Box(0, 0, 32, 32)], seed=1), steps=1)
    assert (opaque.layers[0].pixels[..., 3] == 255).all()
    hinted = pipe.regenerate(opaque, 0, seed=2, hint="transparent background", steps=1)  # a hint says so too
    assert hinted.layers[0].pixels.max() == 0


def test_bf16_on_cpu_is_decided_by_the_cpus_flags_not_by_a_timing(monkeypatch):
    """A timing flipped on a busy CPU, and with it the same seed's pixels; the flags do not."""
    import layerstudio.engine.device as device

    def never_timed():
        raise AssertionError("timed although the flags were known")

    monkeypatch.setattr(device, "_bf16_measured_faster", never_timed)
    for flags, pays in (({"avx2", "avx512f"}, False), ({"avx2", "avx512f", "avx512_bf16"}, True),
                        ({"amx_bf16", "amx_tile"}, True)):
        monkeypatch.setattr(device, "cpu_flags", lambda flags=flags: flags)
        device.cpu_bf16_pays.cache_clear()
        assert device.cpu_bf16_pays() is pays
    monkeypatch.setattr(device, "cpu_flags", lambda: None)  # no flags listed: measured
    monkeypatch.setattr(device, "_bf16_measured_faster", lambda: True)
    device.cpu_bf16_pays.cache_clear()
    assert device.cpu_bf16_pays() is True
    device.cpu_bf16_pays.cache_clear()


def test_generated_layers_hold_no_faint_alpha_noise(pipe, monkeypatch):
    """Alpha 1-2 far from the object is invisible here but taken up by another editor's alpha-to-selection and trim."""
    import layerstudio.engine.pipeline as pipeline
    from layerstudio.engine.pipeline import FAINT_ALPHA

    def with_noise(pixels, description, seed):  # as the trained decoder leaves it: specks of alpha 1-2 all over
        noisy = pixels.copy()
        noisy[::3, ::3] = (90, 90, 90, 2)
        noisy[1::5, ::4, 3] = 1
        noisy[:8, :8] = (200, 10, 10, 200)
        return noisy

    monkeypatch.setattr(pipeline, "with_shadow", with_noise)
    doc = pipe.generate(Layout(128, 128, "a red star and a blue moon on white", [[0, 0, 64, 64], [48, 48, 128, 112]]),
                        steps=2)
    for layer in doc.layers[1:]:
        alpha = layer.pixels[..., 3]
        assert not ((alpha > 0) & (alpha < FAINT_ALPHA)).any()
        assert not layer.pixels[alpha == 0].any()  # clear pixels are clear in colour too
        assert alpha.max() > FAINT_ALPHA  # only the faint ones went
    assert (doc.layers[0].pixels[..., 3] == 255).all()


def test_specks_apart_from_what_the_glyph_asked_for_are_cleared_and_a_glow_around_it_stays():
    from layerstudio.engine.pipeline import without_specks

    yy, xx = np.mgrid[:64, :96]
    disc = ((yy - 32) ** 2 + (xx - 32) ** 2 < 15 ** 2).astype(np.float32)  # the silhouette asked for
    pixels = np.zeros((64, 96, 4), np.uint8)
    pixels[..., :3] = 200
    glow = (yy - 32) ** 2 + (xx - 32) ** 2 < 20 ** 2
    pixels[glow, 3] = 40  # a faint glow around the object, beyond its silhouette
    pixels[disc > 0, 3] = 255
    pixels[30:34, 80:82, 3] = 180  # a speck a box's width away
    clean = without_specks(pixels, disc)
    assert (clean[30:34, 80:82] == 0).all() and np.array_equal(clean[:, :70], pixels[:, :70])
    assert without_specks(pixels, None) is pixels  # nothing asked for: nothing to tell a speck by
    pixels[10:50, 70:90, 3] = 255  # more than a speck: something drawn beside it stays
    assert without_specks(pixels, disc) is pixels
