"""Glyph conditioning: quoted words rendered into their box and given to each token as its cell's coverage."""
import numpy as np
import pytest
import torch

from layerstudio.document import Box, Document, Layout
from layerstudio.engine.config import BACKGROUND, preset
from layerstudio.engine.glyphs import (MAX_GLYPH_CHARS, drawable, drawn_text, glyph_for, glyph_kind, glyph_tokens,
                                       letterable)
from layerstudio.engine.model import LayerModel
from layerstudio.engine.packing import LayerSlot, pack
from layerstudio.engine.patterns import pattern_colours, pattern_for, pattern_sketch
from layerstudio.engine.pipeline import Pipeline
from layerstudio.engine.request import JobRequest, short
from layerstudio.engine.silhouettes import facing, named_object, pointing
from layerstudio.training.corpus import make_design


def ink_bounds(coverage):
    ys, xs = np.nonzero(coverage > 0.5)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


def test_the_lettering_is_what_the_description_quotes():
    assert drawn_text("the word 'SALE' in red with a drop shadow") == "SALE"
    assert drawn_text("a red circle") == ""
    assert drawn_text("Don't panic, it's a \u201cBIG  DEAL\u201d and \u2018NOW\u2019") == "BIG DEAL NOW"
    assert drawn_text("''") == ""


def test_glyphs_fill_their_box_centred_and_leave_room_for_effects():
    plain = glyph_for("the word 'HELLO' in blue", 160, 64)
    assert plain.shape == (64, 160) and plain.dtype == np.float32
    x0, y0, x1, y1 = ink_bounds(plain)
    assert x0 <= 2 and x1 >= 158  # a wide word in a wide box fills its width...
    assert abs((y0 + y1) / 2 - 32) <= 2  # ...centred the other way
    glow = ink_bounds(glyph_for("the word 'HELLO' in blue with a soft glow", 160, 64))
    assert glow[0] > x0 + 4 and glow[2] < x1 - 4  # a glow needs room around the letters
    shadow = ink_bounds(glyph_for("'HELLO' written in blue with a drop shadow", 160, 64))
    assert 64 - shadow[3] > shadow[1]  # a drop shadow falls below: more room under the letters than above
    assert glyph_for("a blue blob", 64, 64) is None  # names nothing the corpus draws
    assert glyph_for("the word '   ' in blue", 64, 64) is None  # nothing the font draws
    # a character the font lacks would draw as an empty box: it is left out of the glyph
    assert drawable("A") and drawable("?") and not drawable("\U0001F600")
    assert np.array_equal(glyph_for("the word 'HI \U0001F600' in red", 64, 64), glyph_for("the word 'HI'", 64, 64))
    assert glyph_for("the word '\U0001F600'", 64, 64) is None
    assert glyph_for("the word 'SUPERCALIFRAGILISTIC EXPIALIDOCIOUS' in red", 16, 16) is None  # no room to letter


def test_corpus_layers_are_exactly_their_glyph():
    checked = set()
    for seed in range(10_000_000, 10_000_040):
        design = make_design(seed)
        background = design.document.layers[0].pixels
        pattern = design.glyph(0)
        if pattern_for(design.layer_captions[0], 16, 16, 0) is None:
            assert pattern is None  # plain, one-colour gradient and noise backgrounds have none
        else:  # stripes, dots, a gradient between two colours: the second colour painted as far as the glyph covers
            assert pattern.shape == background.shape[:2]
            first, second = (background[pattern == share][0, :3].astype(float) for share in (0, 1))
            np.testing.assert_allclose(background[..., :3], first + pattern[..., None] * (second - first), atol=1)
            checked.add("gradient" if "gradient" in design.layer_captions[0] else "pattern")
        for i, (layer, caption) in enumerate(zip(design.document.layers[1:], design.layer_captions[1:]), start=1):
            glyph = design.glyph(i)
            assert glyph is not None and glyph.shape == layer.pixels.shape[:2], caption
            if any(w in caption for w in ("shadow", "glow", "translucent")):
                continue
            np.testing.assert_allclose(layer.pixels[..., 3] / 255.0, glyph, atol=1 / 255 + 1e-6)
            checked.add(glyph_kind(caption))
    assert checked == {"text", "icon", "shape", "pattern", "gradient"}


def test_a_named_shape_or_icon_is_the_object_the_corpus_draws():
    assert named_object("a red star") == ("shape", "star")
    assert named_object("an orange starburst with a glow") == ("shape", "starburst")  # the longest name wins
    assert named_object("a yellow moon and star icon")[0] == "icon"
    assert named_object("a heart emoji") == ("shape", "heart") and named_object("an emoji")[0] == "icon"  # the kind last
    assert named_object("a blue moon") == ("shape", "crescent moon")  # everyday names
    assert named_object("a star in ghost white") == ("shape", "star")  # 'ghost white' is a colour
    assert named_object("a category of things") is None  # whole words only
    assert glyph_kind("the word 'CAT' in red") == "text" and glyph_kind("a cat") == "icon"
    # what inference draws for a corpus caption lands on the corpus's own object: icons exactly, shapes up to the
    # variants the seed picks (a star's depth, an arrow's direction)
    ious = {"icon": [], "shape": []}
    for seed in range(10_000_000, 10_000_060):
        design = make_design(seed)
        for i, (layer, caption) in enumerate(zip(design.document.layers[1:], design.layer_captions[1:]), start=1):
            kind = glyph_kind(caption)
            if kind == "text" or any(w in caption for w in ("shadow", "glow")):
                continue
            drawn = glyph_for(caption, layer.box.width, layer.box.height, seed=i) > 0.5
            truth = design.glyph(i) > 0.5
            ious[kind].append((drawn & truth).sum() / (drawn | truth).sum())
    assert len(ious["icon"]) >= 10 and min(ious["icon"]) > 0.97
    assert len(ious["shape"]) >= 10 and np.mean(ious["shape"]) > 0.75


def test_arrows_and_triangles_point_where_the_words_say():
    assert facing("a blue arrow pointing left") == "left" and facing("a right arrow") == "right"
    assert facing("an arrow pointing to the right, top left") == "right"  # the explicit clause wins
    assert facing("an upside-down triangle") == "down" and facing("a triangle pointing upwards") == "up"
    assert facing("a left-pointing arrow") == "left" and facing("a red arrow") is None
    for words, kind, way in (("a red arrow pointing left", "arrow", "left"), ("a right arrow", "arrow", "right"),
                             ("a green triangle upside down", "triangle", "down"),
                             ("a green triangle pointing up", "triangle", "up"),
                             ("a black arrow pointing up", "arrow", "up"), ("an arrow pointing down", "arrow", "down"),
                             ("a triangle pointing right", "triangle", "right"),
                             ("a blue triangle pointing left", "triangle", "left")):
        assert {pointing(kind, glyph_for(words, 128, 96, seed)) for seed in range(8)} == {way}
    # without a direction the seed picks one, as the corpus does
    assert {pointing("arrow", glyph_for("a red arrow", 128, 64, seed)) for seed in range(8)} == {"left", "right"}
    # the corpus says which way about half of its arrows and triangles point, and says it right
    said = 0
    for seed in range(400):
        design = make_design(seed)
        for caption, glyph in zip(design.layer_captions[1:], design.glyphs[1:]):
            if ("arrow" in caption or "triangle" in caption) and facing(caption):
                said += 1
                assert pointing("arrow" if "arrow" in caption else "triangle", glyph) == facing(caption), caption
    assert said >= 15


def test_silhouettes_keep_their_proportions_and_outlines():
    circle = glyph_for("a green circle", 160, 64)
    x0, y0, x1, y1 = ink_bounds(circle)
    assert abs((x1 - x0) - (y1 - y0)) <= 2 and abs((x0 + x1) / 2 - 80) <= 2  # round, centred in a wide box
    filled = glyph_for("a green square", 64, 64)
    outlined = glyph_for("an outlined green square", 64, 64)
    assert filled[32, 32] > 0.99 and outlined[32, 32] < 0.01 and outlined[32, 2] > 0.99  # a hole, an edge
    icon = glyph_for("a purple owl icon", 96, 96)
    assert 0.05 < icon.mean() < 0.9
    assert np.array_equal(glyph_for("a red star", 64, 64, seed=4), glyph_for("a red star", 64, 64, seed=4))


def test_each_token_gets_its_own_cell_of_the_glyph():
    coverage = torch.arange(32 * 48, dtype=torch.float32).reshape(32, 48)
    tokens = glyph_tokens(coverage, 16)
    assert tokens.shape == (6, 256)
    torch.testing.assert_close(tokens[4], coverage[16:32, 16:32].reshape(-1))  # row 1, column 1 of 2 x 3
    c = 4
    slots = [LayerSlot(BACKGROUND, Box(0, 0, 64, 64), torch.zeros(c, 8, 8)),
             LayerSlot(BACKGROUND + 1, Box(16, 0, 64, 32), torch.zeros(c, 4, 6), coverage)]
    packed = pack([slots], 4 * c)
    assert packed.glyph.shape == (1, 16 + 6, 256)
    assert packed.glyph[0, :16].abs().sum() == 0  # the background has none
    torch.testing.assert_close(packed.glyph[0, 16:], tokens)
    assert pack([slots[:1]], 4 * c).glyph is None


def test_the_glyph_input_starts_silent_and_then_shapes_the_layer():
    model = LayerModel(preset("tiny")).eval()
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.transformer.glyph_in.weight.zero_()
        model.transformer.glyph_in.bias.zero_()
    c = model.autoencoder.latent_channels
    text, mask, pooled = model.text(["the word 'HI' in red"])
    from layerstudio.engine.transformer import Conditioning
    cond = Conditioning(text, mask, pooled, torch.full((1, 2), 0.7), torch.tensor([[True, False]]),
                        torch.zeros(1, 2, pooled.shape[-1]))
    latents = [torch.randn(c, 8, 8), torch.randn(c, 4, 4)]
    glyph = torch.from_numpy(glyph_for("'HI'", 32, 32))

    def run(with_glyph):
        slots = [LayerSlot(BACKGROUND, Box(0, 0, 64, 64), latents[0]),
                 LayerSlot(BACKGROUND + 1, Box(16, 16, 48, 48), latents[1], glyph if with_glyph else None)]
        with torch.no_grad():
            return model.transformer(pack([slots], 4 * c), cond)[0, 16:]

    torch.testing.assert_close(run(True), run(False))  # zero-initialised: a model trained without it is unchanged
    with torch.no_grad():
        model.transformer.glyph_in.weight.normal_(0, 0.5)
    assert not torch.allclose(run(True), run(False), atol=1e-3)


def test_pipeline_gives_the_glyph_to_the_guided_branch_only(monkeypatch):
    pipe = Pipeline.from_preset("tiny", seed=0)
    seen = []
    real = pipe.model.transformer.forward_generated

    def spy(packed, cond, cache):
        seen.append(None if packed.glyph is None else packed.glyph.clone())
        return real(packed, cond, cache)

    monkeypatch.setattr(pipe.model.transformer, "forward_generated", spy)
    doc = pipe.generate(Layout(128, 128, "shapes", [Box(16, 16, 112, 64)], seed=2), steps=1)
    assert seen[-1] is None  # nothing quoted, no object named: no glyph
    pipe.regenerate(doc, 1, seed=7, hint="the word 'HI' in red", steps=1, guidance=3.0)
    glyph = seen[-1]
    expected = torch.from_numpy(glyph_for("the word 'HI' in red", 96, 48))
    torch.testing.assert_close(glyph[0], glyph_tokens(expected, 16))
    assert glyph[1].abs().sum() == 0  # the unguided branch knows neither the hint nor its lettering
    pipe.regenerate(doc, 0, seed=7, hint="a sky full of stars and a star", steps=1)
    assert seen[-1] is None  # backgrounds get no silhouette: the corpus never gives them one


def test_models_saved_without_the_glyph_input_still_load_and_run(tmp_path):
    from safetensors.torch import load_file, save_file

    Pipeline.from_preset("tiny").save(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    save_file({k: v for k, v in tensors.items() if not k.startswith("transformer.glyph_in.")},
              tmp_path / "model.safetensors")
    old = Pipeline.load(tmp_path)
    assert old.model.transformer.glyph_in is None
    doc = old.generate(Layout(64, 64, "the word 'HI' in red", [Box(0, 0, 64, 32)], seed=1), steps=1)
    assert doc.layers[1].pixels.shape == (32, 64, 4)
    old.save(tmp_path / "again")  # saved as it was: still without the input
    assert not any(k.startswith("transformer.glyph_in.") for k in load_file(tmp_path / "again" / "model.safetensors"))


@pytest.mark.parametrize("hint", ["", "the word 'GO' in red"])
def test_a_hint_with_lettering_regenerates_only_its_layer(hint):
    pipe = Pipeline.from_preset("tiny", seed=0)
    doc = pipe.generate(Layout(128, 128, "a red star", [Box(0, 0, 64, 64), Box(48, 48, 128, 96)], seed=3), steps=1)
    again = pipe.regenerate(doc, 2, seed=5, hint=hint, steps=1)
    assert np.array_equal(again.layers[1].pixels, doc.layers[1].pixels)
    assert np.array_equal(again.layers[0].pixels, doc.layers[0].pixels)


def test_background_words_give_their_pattern():
    vertical = pattern_for("a grey background with vertical white stripes", 96, 64, seed=3)
    assert (vertical == vertical[:1]).all() and not (vertical == vertical[:, :1]).all()  # columns alike
    horizontal = pattern_for("horizontal red stripes on blue", 96, 64, seed=3)
    assert (horizontal == horizontal[:, :1]).all()
    diagonal = pattern_for("a black background with diagonal yellow stripes", 96, 64, seed=3)
    assert not (diagonal == diagonal[:1]).all() and not (diagonal == diagonal[:, :1]).all()
    def widest(words, seed):
        covered = pattern_for(words, 96, 16, seed)[0] >= 0.5
        return np.diff(np.flatnonzero(np.diff(np.r_[0, covered.astype(int), 0])))[::2].max()

    for seed in range(6):  # thin stripes as the corpus draws them: under 7 px wide (7 anti-aliased), others wider
        assert widest("thin vertical orange stripes on navy", seed) <= 7 < widest("vertical orange stripes", seed)
    assert pattern_for("white pinstripes on navy", 64, 64, seed=1) is not None
    assert pattern_for("white spots on teal", 64, 64, seed=1) is not None
    dots = pattern_for("white polka dots on teal", 64, 64, seed=1)
    assert 0.05 < (dots >= 0.5).mean() < 0.3
    assert pattern_for("a soft teal radial gradient", 64, 64, 0) is None
    assert pattern_for("a teal gradient", 64, 64, 0) is None  # shades of one colour: no second colour's share
    # a gradient between two colours: the second's share, rising from 0 to 1 the way the words say
    left_to_right = pattern_for("a horizontal red to blue gradient", 96, 64, 0)
    assert (left_to_right == left_to_right[:1]).all() and (np.diff(left_to_right[0]) > 0).all()
    assert left_to_right[0, 0] == 0 and left_to_right[0, -1] == 1
    top_down = pattern_for("a vertical gradient from navy to pink", 96, 64, 0)
    assert np.allclose(top_down, top_down[:, :1], atol=1e-6) and (np.diff(top_down[:, 0]) > 0).all()
    # no direction in the words: the seed's, its far end on the canvas's rim
    turned = [pattern_for("a background fading from teal to white", 96, 64, seed) for seed in range(4)]
    assert all(t.min() == 0 and t.max() == 1 for t in turned) and len({t.tobytes() for t in turned}) == 4
    # the same seed and words draw the same pattern; another seed another
    assert np.array_equal(pattern_for("red stripes on blue", 64, 64, 4), pattern_for("red stripes on blue", 64, 64, 4))
    assert not np.array_equal(pattern_for("red stripes on blue", 64, 64, 4), pattern_for("red stripes on blue", 64, 64, 5))


def test_corpus_stripes_run_the_way_their_words_say():
    said = set()
    for seed in range(10_000_000, 10_000_300):
        design = make_design(seed)
        words, pattern = design.layer_captions[0], design.glyph(0)
        for way, rows_alike, columns_alike in (("vertical", True, False), ("horizontal", False, True)):
            if way in words:
                assert (pattern == pattern[:1]).all() == rows_alike and (pattern == pattern[:, :1]).all() == columns_alike
                said.add(way)
        if "diagonal" in words:
            assert not (pattern == pattern[:1]).all() and not (pattern == pattern[:, :1]).all()
            said.add("diagonal")
    assert said == {"vertical", "horizontal", "diagonal"}


def test_a_generated_background_is_given_the_pattern_its_words_name(monkeypatch):
    import layerstudio.engine.pipeline as pipeline_module

    pipe = Pipeline.from_preset("tiny", seed=0)
    seen = []
    original = pipeline_module.Pipeline._glyph
    monkeypatch.setattr(pipeline_module.Pipeline, "_glyph",
                        lambda self, request, i, words: seen.append((i, original(self, request, i, words))) or seen[-1][1])
    doc = pipe.generate(Layout(64, 64, "", [Box(0, 0, 32, 32)], seed=1), steps=1)
    pipe.regenerate(doc, 0, seed=9, hint="vertical red stripes on blue", steps=1)
    glyph = [g for i, g in seen if i == 0][-1]
    assert np.array_equal(glyph.numpy(), pattern_for("vertical red stripes on blue", 64, 64, 9))
    pipe.regenerate(doc, 0, seed=4, hint="a gradient from teal to white", steps=1)
    glyph = [g for i, g in seen if i == 0][-1]
    assert np.array_equal(glyph.numpy(), pattern_for("a gradient from teal to white", 64, 64, 4))
    assert glyph.min() == 0 and glyph.max() == 1


def test_pattern_colours_say_which_named_colour_is_the_pattern():
    navy, orange, teal, white = (0, 0, 128), (245, 130, 20), (0, 150, 150), (246, 246, 246)
    assert pattern_colours("a navy background with thin orange stripes") == (navy, orange)
    assert pattern_colours("orange stripes on navy") == (navy, orange)
    assert pattern_colours("stripes in orange on a navy background") == (navy, orange)  # none named before the word
    assert pattern_colours("white polka dots on teal") == (teal, white)
    assert pattern_colours("a gradient from teal to white") == (teal, white)
    assert pattern_colours("a white to teal gradient") == (white, teal)
    assert pattern_colours("a teal striped background") is None  # the second colour is open
    assert pattern_colours("a teal background with soft noise") is None


def test_pattern_sketch_paints_the_pattern_in_its_colours():
    words = "a grey background with vertical white stripes"
    sketch = pattern_sketch(words, 96, 64, seed=3)
    coverage = pattern_for(words, 96, 64, seed=3)
    ground, pattern = pattern_colours(words)
    assert sketch.shape == (64, 96, 4) and (sketch[..., 3] == 255).all()
    assert (sketch[coverage == 1, :3] == pattern).all() and (sketch[coverage == 0, :3] == ground).all()
    assert pattern_sketch("a soft teal radial gradient", 64, 64, 0) is None
    assert pattern_sketch("a red to blue radial gradient", 64, 64, 0) is None  # no ramp for radial gradients


def test_a_patterned_background_joins_the_sampling_from_its_sketch(monkeypatch):
    """With the model's velocity zero, what the decoder gets is exactly where the background started: its noise,
    or, where its words fix a two-colour pattern, the sketch's latent noised to the first step at or under SKETCH_T."""
    import layerstudio.engine.pipeline as pipeline_module

    pipe = Pipeline.from_preset("tiny", seed=0)
    monkeypatch.setattr(pipe.model.transformer, "forward_generated",
                        lambda packed, cond, cache: torch.zeros_like(packed.tokens))
    decoded = []
    original = pipe.model.autoencoder.decode
    monkeypatch.setattr(pipe.model.autoencoder, "decode",
                        lambda designs, wanted: decoded.append(designs[0][-1].latent.clone()) or original(designs, wanted))
    doc = pipe.generate(Layout(64, 64, "", [Box(0, 0, 32, 32)], seed=1), steps=4)
    sigmas = pipeline_module.schedule(4, pipe.config.schedule_shift)
    start = next(t for t in sigmas[:-1] if t <= pipeline_module.SKETCH_T)
    for words, seed in (("vertical red stripes on blue", 9), ("a gradient from teal to white", 4)):
        pipe.regenerate(doc, 0, seed=seed, hint=words, steps=4)
        noise = pipeline_module.layer_noise(seed, decoded[-1].shape)
        sketch = pipe._sketch_latent(pipeline_module.JobRequest.regenerate(doc, 0, seed, words, 4), words)
        assert torch.allclose(decoded[-1], (1 - start) * sketch + start * noise, atol=1e-5)
    pipe.regenerate(doc, 0, seed=5, hint="a plain teal background", steps=4)
    assert torch.equal(decoded[-1], pipeline_module.layer_noise(5, decoded[-1].shape))


def test_icons_the_corpus_never_drew_still_give_their_silhouette():
    from layerstudio.engine.silhouettes import SHAPES, icon_master, untrained_icon_names, untrained_spans

    untrained = set(untrained_icon_names())
    assert len(untrained) >= 150 and {"dolphin", "butterfly", "piggy bank"} <= untrained
    assert named_object("a red dolphin with a glow") == ("icon", "dolphin")
    assert named_object("a pink lightbulb") == ("icon", "lightbulb")  # another name for the corpus's light bulb
    assert named_object("two red dolphins") == ("icon", "dolphin") and named_object("red crosses") == ("shape", "cross")
    assert named_object("a blue computer mouse") == ("icon", "mouse")  # not the computer
    # everyday names: a boat, a plane, a phone, a mug are the set's sail boat, airplane, cellphone and coffee cup
    assert [named_object(f"a {name}") for name in ("boat", "plane", "phone", "mug", "donut")] == \
        [("icon", "sail-boat"), ("icon", "airplane"), ("icon", "cellphone"), ("icon", "coffee"), ("shape", "ring")]
    assert [named_object(f"a {name}") for name in ("teapot", "grape", "bag of fries", "torch", "thunderbolt")] == \
        [("icon", "kettle"), ("icon", "fruit-grapes"), ("icon", "french-fries"), ("icon", "torch"),
         ("shape", "lightning bolt")]
    assert named_object("the word 'SHOP' in red") is None  # lettering, not a shop
    assert named_object("falling maple leaves") == ("icon", "leaf-maple") and named_object("two knives")[1] == "knife"
    assert all(named_object(f"a red {kind}") == ("shape", kind) for kind in SHAPES)  # icons never take a shape's name
    coverage = glyph_for("a red dolphin", 96, 64, seed=0)
    assert coverage is not None and 0.1 < coverage.mean() < 0.9
    # the corpus draws only the icons the model was trained on
    captions = [caption for seed in range(40) for caption in make_design(seed).layer_captions[1:]]
    assert sum(glyph_kind(caption) == "icon" for caption in captions) >= 20
    assert not any(untrained_spans(caption) for caption in captions)
    words = "An eye-catching teal shark and a pink piggy bank"
    assert [words[a:b] for a, b in untrained_spans(words)] == ["shark", "piggy bank"]  # not 'eye' of 'eye-catching'
    # Font Awesome's icons, for what Material Design Icons lacks, drawn in their own (wider) view box
    assert named_object("a green frog") == ("icon", "fa-frog") and named_object("a rainbow") == ("icon", "fa-rainbow")
    # the thing a phrase names first, before what is said of it ('on', 'holding', 'with'); a name that spans such a
    # word is one name, and a name alone after 'of' still counts
    assert [named_object(t)[1] for t in ("a green frog on a lily pad", "a robot holding a balloon", "a cake with a candle",
                                         "a cat sitting on a sofa", "a moon and star", "a cat face emoji",
                                         "a slice of pizza")] == \
        ["fa-frog", "robot", "cake", "cat", "weather-night", "cat", "pizza"]
    # words holding a thing's name that name no thing
    assert named_object("a baby shower") is None and named_object("super bowl party") is None
    assert named_object("a shower")[1] == "shower-head" and named_object("hello world") is None
    assert named_object("a rolling pin") is None  # no push pin
    master, aspect = icon_master("fa-hippo")  # read in a 24-unit box it would be one corner, blown up
    assert 0.3 < master.mean() < 0.8 and 1.2 < aspect < 1.6
    hippo = glyph_for("a grey hippo", 128, 96, seed=0)
    assert hippo is not None and hippo.shape == (96, 128) and 0.2 < hippo.mean() < 0.8

    # Twemoji's, for the animals, fruit and things neither set has; an emoji's shapes added in turn and its small
    # near-black ones over them cut out, so that one colour shows the thing (the fox's eyes and nose are holes)
    assert [named_object(f"a {name}")[1] for name in ("fox", "giraffe", "whale", "banana", "dinosaur", "bell pepper",
                                                      "sunflower")] == \
        ["tw-1f98a", "tw-1f992", "tw-1f40b", "tw-1f34c", "tw-1f996", "tw-1fad1", "tw-1f33b"]
    assert named_object("an orange star") == ("shape", "star") and named_object("a coral reef") is None  # colours
    # the thing is the name said last, with nothing said of it ('a blueberry muffin' drew blueberries), and names
    # in phrases that name another thing draw nothing ('a pie chart' drew a pie, 'a coat of arms' a coat)
    assert [named_object(t)[1] for t in ("a blueberry muffin", "a strawberry cupcake", "a butter knife",
                                         "a cricket bat")] == ["muffin", "cupcake", "knife", "bat"]
    assert all(named_object(t) is None for t in ("a pie chart", "a coat of arms", "a sea lion", "a hen party",
                                                 "milk chocolate", "an ice cap", "Los Angeles", "camping gear"))
    # confetti, which no icon set has, is our own drawing of scattered pieces
    confetti = glyph_for("white confetti", 96, 96) > 0.5
    assert named_object("white confetti") == ("icon", "ls-confetti") and 0.15 < confetti.mean() < 0.6
    # one of a pair is named too ('a red glove' was empty), and a musical note is the corpus's music note
    assert [named_object(f"a {name}")[1] for name in ("glove", "chopstick", "nesting doll", "musical note")] == \
        ["tw-1f9e4", "tw-1f962", "tw-1fa86", "music"]
    fox, _ = icon_master("tw-1f98a")
    solid = fox > 0.5
    enclosed = ~solid & np.maximum.accumulate(solid, 1) & np.maximum.accumulate(solid[:, ::-1], 1)[:, ::-1] & \
        np.maximum.accumulate(solid, 0) & np.maximum.accumulate(solid[::-1], 0)[::-1]
    assert enclosed.sum() > 0.01 * solid.sum()  # holes inside the face, not just the outline



def test_a_layer_naming_nothing_the_model_can_draw_is_reported():
    pipe = Pipeline.from_preset("tiny", seed=0)
    document = Document.from_layout(Layout(64, 64, "", [Box(0, 0, 32, 32), Box(32, 32, 64, 64)], seed=1))
    document.layers[1].hint, document.layers[2].hint = "a green unicycle", "a red star"
    document.layers[0].hint = "white"  # (an empty prompt names no background: said apart)
    notices = pipe.run(JobRequest.generate(document, 1, None)).notices
    assert len(notices) == 1 and "“a green unicycle” names no shape or icon" in notices[0] and "star" not in notices[0][:40]
    document.layers[1].hint = "'DRAGON'"  # lettering needs no silhouette; nor does a dolphin
    document.layers[2].hint = "a red dolphin"
    notices = pipe.run(JobRequest.generate(document, 1, None)).notices  # but six letters in 32 px are 6 px tall
    assert notices == ["“DRAGON” comes out 6 px tall in its 32 x 32 px box, too small to read: widen the box or "
                       "shorten the words."]
    document.layers[1].hint = "'OK'"
    assert pipe.run(JobRequest.generate(document, 1, None)).notices == []
    # characters the font lacks: accents dropped, the rest left out, and said so
    document.layers[1].hint, document.layers[2].hint = "the word 'Café' in brown", "the words 'I ❤ NY'"
    notices = pipe.run(JobRequest.generate(document, 1, None)).notices
    assert notices == ["The font has no “é”: “Café” is lettered “Cafe”.", "The font has no “❤”: “I ❤ NY” is lettered “I NY”."]
    document.layers[2].hint = "'❤❤'"
    assert "none of the characters of “❤❤”" in pipe.run(JobRequest.generate(document, 1, None)).notices[1]
    # lettering past what a layer letters is cut after a whole word, and said so (a quote post lost its end unsaid)
    quote = ("The best time to plant a tree was 20 years ago. The second best time is now. Plant it today, water it "
             "tomorrow, and sit in its shade.")
    assert len(quote) > MAX_GLYPH_CHARS
    lettered = drawn_text(f"the words '{quote}' in white")
    assert quote.startswith(lettered) and quote[len(lettered)] == " " and len(lettered) > MAX_GLYPH_CHARS - 12
    document = Document.from_layout(Layout(128, 128, "", [Box(0, 0, 128, 128)], seed=1))
    document.layers[0].hint, document.layers[1].hint = "green", f"the words '{quote}' in white"
    notices = pipe.run(JobRequest.generate(document, 1, None)).notices  # (the tiny text encoder reads less, and says so)
    assert f"A layer letters at most {MAX_GLYPH_CHARS} characters: of “{short(quote)}” ({len(quote)}) it letters up to " \
           f"“…{lettered[-24:]}”. Put the rest in quotes of its own for another box." in notices


def test_lettering_the_font_lacks_keeps_what_it_has():
    assert letterable("Crème brûlée") == "Creme brulee" and letterable("Straße — 5 €") == "Strasse - 5"
    assert letterable("❤") == "" and letterable("SALE") == "SALE"
    cafe, plain = glyph_for("the word 'Café'", 128, 48), glyph_for("the word 'Cafe'", 128, 48)
    assert cafe is not None and np.array_equal(cafe, plain)


def test_long_lettering_in_a_box_too_narrow_for_one_line_is_broken_into_lines():
    from layerstudio.engine.glyphs import lettering_height, text_master

    sentence = "the words 'Thank you for coming to our wedding'"
    one_line = 128 / text_master("Thank you for coming to our wedding")[1]  # its height on one line, fitted across
    assert lettering_height(sentence, 128, 128) > 3 * one_line
    rows = glyph_for(sentence, 128, 128).max(1) > 0.5
    assert (np.diff(rows.astype(int)) == 1).sum() >= 3  # several lines of ink, one under another
    assert lettering_height("'OPEN'", 224, 48) == 48.0  # one word, or a box wide enough: one line
    wide = glyph_for("'Happy New Year'", 224, 48).max(1) > 0.5
    assert (np.diff(wide.astype(int)) == 1).sum() <= 1


def test_checks_are_a_pattern_of_squares_in_their_two_colours():
    from layerstudio.engine.patterns import names_pattern
    from layerstudio.engine.usual_colours import background_in_usual_colour

    for words in ("red and white checkered background", "a black and white checkerboard",
                  "red and white chequered background"):
        assert names_pattern(words)
        board = pattern_for(words, 96, 64, seed=2)
        assert 0.4 < board.mean() < 0.6 and ((board == 0) | (board == 1)).mean() > 0.7  # crisp squares
        row = board[10] > 0.5
        runs = np.flatnonzero(np.diff(row.astype(int)))  # square edges along a row, a side apart
        assert len(runs) >= 2 and np.ptp(np.diff(runs)) <= 1
    assert not names_pattern("a check mark") and not names_pattern("a checklist")
    words = "red and white checkered background"
    sketch, board = pattern_sketch(words, 64, 64, 1), pattern_for(words, 64, 64, 1)
    ground, squares = pattern_colours(words)
    assert ground != squares
    assert (sketch[board == 1, :3] == squares).all() and (sketch[board == 0, :3] == ground).all()
    assert background_in_usual_colour("a red checkered background", 0) == "a red checkered background on white"
    assert "on white" in background_in_usual_colour("a checkered background", 0)
    assert background_in_usual_colour("dotted background in green", 0) == "dotted background in green on white"


def test_gingham_is_woven_in_three_tones():
    from layerstudio.engine.patterns import names_pattern

    assert names_pattern("red gingham tablecloth background")
    cloth = pattern_for("blue gingham on white", 128, 96, seed=3)
    tones = [np.isclose(cloth, v, atol=0.02).mean() for v in (0.0, 0.5, 1.0)]
    # bands cover half each way: a quarter plain ground, half one band, a quarter where bands cross
    assert all(abs(share - want) < 0.08 for share, want in zip(tones, (0.25, 0.5, 0.25)))
    blue, white = pattern_colours("blue gingham on white")[::-1]
    sketch = pattern_sketch("blue gingham on white", 128, 96, 3)
    middle = sketch[cloth == 0.5, :3].astype(int)
    assert np.abs(middle - (np.add(blue, white) / 2)).max() <= 1  # the half tone lies between the two colours


def test_big_and_tiny_dots_are_so():
    for seed in range(5):
        plain = pattern_for("blue dots on yellow", 128, 128, seed)
        big, tiny = pattern_for("big blue dots on yellow", 128, 128, seed), pattern_for("tiny blue dots", 128, 128, seed)
        assert big.mean() > 1.3 * plain.mean() and tiny.mean() < plain.mean() * 0.75


def test_gradients_named_by_a_place_or_said_ombre_and_plain_skies_are_painted_smooth():
    from layerstudio.engine.patterns import names_gradient
    from layerstudio.engine.usual_colours import background_in_usual_colour

    assert background_in_usual_colour("a sunset gradient background", 0) == \
        "an orange to purple sunset gradient background"  # it was orange alone
    assert pattern_colours("an orange to purple sunset gradient background") is not None
    for words in ("ombre pink background", "a sky background", "a light blue sky", "an orange sky"):
        assert names_gradient(words), words
    for words in ("sky blue background", "a starry night sky", "the sky with clouds", "a skyscraper"):
        assert not names_gradient(words), words


def test_a_rainbow_background_is_painted_in_its_colours():
    from layerstudio.document import Box, Layout
    from layerstudio.engine.colours import colour_rgb
    from layerstudio.engine.patterns import RAINBOW, rainbow_for
    from layerstudio.engine.pipeline import Pipeline
    from layerstudio.engine.usual_colours import background_in_usual_colour

    bands = rainbow_for("vertical rainbow stripes", 96, 64, seed=3)
    shown = {tuple(c) for c in bands[32, :, :3]}
    assert {colour_rgb(name) for name in RAINBOW} <= shown and (bands[:, 40] == bands[0, 40]).all()  # vertical
    ramp = rainbow_for("a rainbow gradient background", 96, 64, seed=3)
    assert np.abs(np.diff(ramp[..., :3].astype(int), axis=0)).max() <= 16  # smooth
    assert rainbow_for("a rainbow over green hills", 96, 64, 0) is None
    assert background_in_usual_colour("rainbow stripes", 0) == "rainbow stripes"  # not 'rainbow blue stripes'
    pipe = Pipeline.from_preset("tiny", seed=0)
    doc = pipe.generate(Layout(96, 64, "", [Box(8, 8, 40, 40)], seed=4), steps=1)
    doc = pipe.regenerate(doc, 0, seed=7, hint="vertical rainbow stripes", steps=1)
    assert np.array_equal(doc.layers[0].pixels, rainbow_for("vertical rainbow stripes", 96, 64, 7))


def test_chevrons_are_zigzag_bands_in_their_two_colours():
    from layerstudio.engine.patterns import names_pattern

    assert names_pattern("a yellow and grey chevron pattern") and names_pattern("black and white zigzag background")
    band = pattern_for("a yellow and grey chevron pattern", 128, 96, seed=1)
    assert 0.4 < band.mean() < 0.6
    column = band[:, 5] > 0.5  # down a column the bands alternate; across a row they zigzag (rise and fall)
    assert 4 <= np.count_nonzero(np.diff(column.astype(int))) <= 16
    top = [np.argmax(band[:, x] > 0.5) if band[0, x] <= 0.5 else np.argmax(band[:, x] <= 0.5) for x in range(128)]
    assert len(set(np.sign(np.diff(top)).tolist()) - {0}) == 2
    assert pattern_colours("a yellow and grey chevron pattern") is not None


def test_wide_stripes_are_wider_than_thin_ones():
    def widest_run(coverage):  # the longest run of covered pixels across the middle row (the stripes are vertical)
        edges = np.flatnonzero(np.diff(np.r_[0, (coverage[coverage.shape[0] // 2] > 0.5).astype(int), 0]))
        return max(edges[1::2] - edges[::2], default=0)

    for seed in range(6):
        wide = widest_run(pattern_for("wide vertical red stripes on white", 160, 160, seed))
        thin = widest_run(pattern_for("thin vertical red stripes on white", 160, 160, seed))
        assert wide >= 14 and thin <= 7


def test_a_regenerated_shape_or_icon_is_another_take_on_its_silhouette():
    # the model follows the silhouette: a new seed alone gave five takes of an owl alike to 3 levels of 255
    for words in ("a red star", "a green owl icon", "a yellow crescent moon"):
        first = glyph_for(words, 96, 96, seed=3)
        takes = [glyph_for(words, 96, 96, seed=s, another_take=True) for s in range(6)]
        assert all(np.abs(t - first).mean() > 0.02 for t in takes)  # each differs from the first drawing...
        assert len({t.tobytes() for t in takes}) >= 2  # ...and the takes from each other
        assert all(0.8 < t.sum() / first.sum() < 1.25 for t in takes)  # still the whole thing, filling its box
        assert np.array_equal(takes[0], glyph_for(words, 96, 96, seed=0, another_take=True))  # the seed says which
    for seed in range(40):  # an owl is the same owl mirrored: its takes are tilted too
        take = glyph_for("a brown owl", 96, 96, seed, another_take=True)
        assert np.abs(take - glyph_for("a brown owl", 96, 96, seed)).mean() > 0.05
    # lettering is written as asked; a way said to point is kept; a box-filling square has no other take
    assert np.array_equal(glyph_for("the word 'SALE'", 96, 48, 1, another_take=True), glyph_for("the word 'SALE'", 96, 48, 1))
    assert np.array_equal(glyph_for("a square", 64, 64, 1, another_take=True), glyph_for("a square", 64, 64, 1))
    for seed in range(4):  # arrows are neither tilted nor mirrored
        take = glyph_for("an arrow pointing right", 96, 48, seed, another_take=True)
        assert np.array_equal(take, glyph_for("an arrow pointing right", 96, 48, seed))
