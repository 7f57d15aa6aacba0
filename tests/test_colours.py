"""Colour names read as colours: the lexicon, the token features, the corpus that paints them, the eval."""
import re
from dataclasses import replace

import numpy as np
import pytest
import torch

from layerstudio.engine.colours import (BASE_COLOURS, colour_names, colour_spans, lab, lab_array,
                                        flat_colour, named_colours, rgb_from_lab, snap_to_colour)
from layerstudio.engine.config import TextConfig
from layerstudio.engine.glyphs import glyph_for
from layerstudio.engine.text import SmallTextEncoder, Tokenizer
from layerstudio.training.corpus import HELD_OUT_COLOURS, NAMED_COLOURS, PALETTE, make_design


def test_css_names_are_also_known_as_separate_words():
    names = colour_names()
    assert names["sky blue"] == names["skyblue"] == (135, 206, 235)
    assert names["dark slate grey"] == names["darkslategray"]
    assert names["lemon chiffon"] == names["lemonchiffon"]
    # the corpus's twelve keep the values the corpus paints
    assert all(names[n] == rgb for n, rgb in BASE_COLOURS.items())


def test_colour_spans_find_whole_names_only_and_skip_quoted_text():
    text = "A Crimson star, a sky  blue circle and the word 'RED' on navy. Bluebell, redo."
    quoted = (text.index("'RED'"), text.index("'RED'") + 5)
    found = [(text[a:b], rgb) for a, b, rgb in colour_spans(text, [quoted])]
    assert found == [("Crimson", (220, 20, 60)), ("sky  blue", (135, 206, 235)), ("navy", (0, 0, 128))]


def test_every_token_of_a_colour_name_carries_its_colour():
    tok = Tokenizer(["a", "star", "blue", "on"])
    text = "a crimson star on 'BLUE'"
    ids, mask, colours, spans = tok.batch([text], 24, 24)
    # "crimson" is not in the vocabulary: spelled letter by letter, every letter marked with crimson's colour
    letters = [k for k, (s, e) in enumerate(spans[0]) if 2 <= s < 9]
    assert len(letters) == 7
    assert all(colours[0, k, 3] == 1 for k in letters)
    assert all(torch.equal(colours[0, k], colours[0, letters[0]]) for k in letters)
    assert colours[0, letters[0], 0] == pytest.approx(lab((220, 20, 60))[0] / 50 - 1)
    others = [k for k in range(len(spans[0])) if k not in letters]
    assert colours[0, others].abs().sum() == 0  # "star", "on", the quoted BLUE and padding read no colour
    assert ids.shape == (1, 24) and mask.sum() == len(spans[0]) == 17  # padded after the closing quote


def test_american_spellings_read_as_the_british_words_the_vocabulary_knows():
    tok = Tokenizer(["a", "star", "on", "grey"])
    ids, _, colours, spans = tok.batch(["a gray star on Gray", "a grey star on grey"], 24)
    assert torch.equal(ids[0], ids[1]) and torch.equal(colours[0], colours[1])
    assert spans[0][2] == (2, 6)  # the token still points at the word as written
    # a word the vocabulary lacks in both spellings is spelled out, as before
    assert tok.encode("a color", 24) == tok.encode("a c o l o r", 24)


def test_the_colour_feature_changes_only_colour_tokens():
    enc = SmallTextEncoder(TextConfig(width=32, depth=1, heads=2, max_tokens=24, vocab=["a", "star", "on", "white"]))
    enc.eval()
    texts = ["a crimson star", "a red star on white", "a star"]
    before = enc(texts)[0]
    assert enc.colour_in.weight.abs().sum() == 0  # zero at first: a trained model's output is unchanged
    with torch.no_grad():
        enc.colour_in.weight.normal_()
    after = enc(texts)[0]
    assert torch.equal(before[2], after[2])  # no colour name, same features
    assert not torch.allclose(before[0], after[0]) and not torch.allclose(before[1], after[1])


def test_corpus_paints_named_colours_only_when_asked_and_never_the_held_out_ones():
    for seed in range(6):
        plain, named = make_design(seed), make_design(seed, named_colours=1.0)
        assert plain.layer_colours != named.layer_colours
        assert np.array_equal(named.composite, make_design(seed, named_colours=1.0).composite)  # deterministic
    held = {colour_names()[n] for n in HELD_OUT_COLOURS}
    assert not held & set(NAMED_COLOURS.values())
    seen, codes, greys = set(), 0, 0
    for seed in range(12):
        d = make_design(seed, named_colours=1.0)
        for caption, rgb in zip(d.layer_captions, d.layer_colours):
            names = [n for n in NAMED_COLOURS if NAMED_COLOURS[n] == rgb and n in caption.lower()]
            code = re.search(r"#[0-9a-f]{6}\b", caption)
            # each layer's caption names the colour it is painted in, by a name or as a hex code
            assert names or code and tuple(int(code.group()[i:i + 2], 16) for i in (1, 3, 5)) == tuple(rgb), (
                caption, rgb)
            seen.update(names)
            codes += code is not None
            greys += code is not None and len(set(rgb)) == 1
    assert len(seen) > 10 and codes >= 10 and greys >= 1
    assert set(PALETTE) >= set(BASE_COLOURS)


def test_hex_codes_are_colours_too():
    text = "A #dc143c star, a #F80 circle and the word '#123456' on navy; not ##abc, #abcd or a#abc."
    quoted = [(text.index("'#"), text.index("'#") + 9)]
    assert [(text[a:b], rgb) for a, b, rgb in colour_spans(text, quoted)] == [
        ("#dc143c", (220, 20, 60)), ("#F80", (255, 136, 0)), ("navy", (0, 0, 128))]


def test_named_colour_errors_measure_distance_to_the_name(tiny):
    from layerstudio.training.evaluate import COMMON_NAMED_COLOURS, colour_error, named_colour_errors

    assert set(COMMON_NAMED_COLOURS) <= set(NAMED_COLOURS)
    assert colour_error((220, 20, 60), "crimson") == 0
    assert lab((255, 255, 255)) == pytest.approx((100, 0, 0), abs=0.1) and lab((0, 0, 0)) == (0, 0, 0)
    assert colour_error((255, 250, 250), "snow") == 0 < colour_error((255, 250, 250), "navy")
    assert colour_error((220, 20, 60), "#dc143c") == 0 < colour_error((220, 20, 60), "#dc143d")
    report = named_colour_errors(tiny)
    for group in ("painted", "held_out", "hex"):
        for role in ("object", "background", "nearest_twelve"):
            assert 0 <= report[f"{group}_{role}"] <= 100
    # the twelve cannot stand in for these names: the nearest is still visibly off
    assert report["held_out_nearest_twelve"] > 10


def test_training_drops_some_colour_name_tokens_and_inference_none():
    from layerstudio.engine.text import UNK, drop_colour_names

    tok = Tokenizer(["a", "star", "red"])
    ids, _, colours, _ = tok.batch(["a red star and a crimson star"] * 64, 24)
    torch.manual_seed(0)
    dropped = drop_colour_names(ids, colours, 0.5)
    is_colour = colours[..., -1] > 0
    assert torch.equal(dropped[~is_colour], ids[~is_colour])  # other words keep their tokens
    share = (dropped[is_colour] == UNK).float().mean().item()
    assert 0.4 < share < 0.6
    enc = SmallTextEncoder(TextConfig(width=32, depth=1, heads=2, max_tokens=32, vocab=["a", "star", "red"]))
    text = ["red, crimson, navy, gold, plum and tan stars"]
    enc.train()
    assert len({enc(text)[0].sum().item() for _ in range(4)}) > 1
    enc.eval()
    assert len({enc(text)[0].sum().item() for _ in range(4)}) == 1


def test_a_name_spelled_letter_by_letter_is_dropped_as_a_whole():
    from layerstudio.engine.text import UNK, drop_colour_names

    tok = Tokenizer(["a", "star", "and"])
    ids, _, colours, spans = tok.batch(["a crimson star and a tomato red star"] * 200, 40)
    dropped = drop_colour_names(ids, colours, 0.5) == UNK
    crimson = [k for k, (s, e) in enumerate(spans[0]) if 2 <= s < 9]
    tomato = [k for k, (s, e) in enumerate(spans[0]) if 21 <= s < 27]
    for name in (crimson, tomato):
        assert (dropped[:, name].all(1) | ~dropped[:, name].any(1)).all()  # all of its letters, or none
    # "tomato" and "red" are two names, each drawn on its own
    assert (dropped[:, tomato[0]] != dropped[:, tomato[-1] + 1]).any()


def gradient_layer(rgb, size=32):
    """An object in `rgb` shaded top to bottom (as corpus gradients are), a black outline ring, clear corners."""
    pixels = np.zeros((size, size, 4), np.uint8)
    shade = np.linspace(-25, 25, size)[:, None, None]
    pixels[..., :3] = np.clip(np.array(rgb) + shade, 0, 255).astype(np.uint8)
    y, x = np.mgrid[:size, :size]
    r = np.hypot(y - size / 2 + 0.5, x - size / 2 + 0.5)
    pixels[..., 3] = np.where(r < size / 2 - 1, 255, 0)
    pixels[(r > size / 2 - 4) & (r < size / 2 - 1), :3] = 0
    return pixels


def test_snapping_moves_a_layers_main_colour_onto_the_one_asked_and_keeps_its_shading():
    drawn = gradient_layer((200, 60, 60))
    wanted = (220, 38, 38)
    snapped = snap_to_colour(drawn, wanted)
    solid = drawn[..., 3] > 127
    main = lambda px: np.median(lab_array(px[..., :3])[solid], axis=0)
    assert np.linalg.norm(main(drawn) - lab(wanted)) > 8 and np.linalg.norm(main(snapped) - lab(wanted)) < 1.5
    lightness = lambda px: lab_array(px[..., :3])[solid & (drawn[..., 0] > 0)][:, 0]
    assert abs(lightness(snapped).std() - lightness(drawn).std()) < 2  # still shaded
    outline = solid & (drawn[..., :3].sum(-1) == 0)
    assert (snapped[outline, :3] == 0).all() and np.array_equal(snapped[..., 3], drawn[..., 3])
    # a layer in another colour altogether, or with nothing solid, is left as drawn
    assert snap_to_colour(drawn, (35, 85, 220)) is drawn
    empty = np.zeros((8, 8, 4), np.uint8)
    assert snap_to_colour(empty, wanted) is empty


def test_the_colours_a_description_names():
    assert named_colours("a shaded crimson star with a drop shadow") == [colour_names()["crimson"]]
    assert named_colours("the word 'blue' in #3fa2c4") == [(0x3f, 0xa2, 0xc4)]  # the quoted word is lettering
    assert named_colours("red stripes on a red and #0000ff background") == [BASE_COLOURS["red"], (0, 0, 255)]
    assert named_colours("a star") == [] and named_colours("") == []


def test_lab_round_trips():
    rgb = np.random.default_rng(0).integers(0, 256, (500, 3)).astype(np.float64)
    assert np.abs(rgb_from_lab(lab_array(rgb)) - rgb).max() < 1e-6


def test_generated_layers_are_snapped_to_their_words_and_decomposed_ones_are_not(monkeypatch):
    import layerstudio.engine.pipeline as pipeline_module
    from layerstudio.document import Box, Layout
    from layerstudio.engine.pipeline import Pipeline

    asked = []
    monkeypatch.setattr(pipeline_module, "snap_to_colour", lambda px, colour, flat: asked.append([colour, flat]) or px)
    monkeypatch.setattr(pipeline_module, "painted", lambda coverage, *pair: asked.append(list(pair)) or np.zeros((*coverage.shape, 4), np.uint8))
    monkeypatch.setattr(pipeline_module, "smooth_gradient", lambda px, words, seed, pair: asked.append(pair) or px)
    pipe = Pipeline.from_preset("tiny", seed=0)
    doc = pipe.generate(Layout(64, 64, "", [Box(0, 0, 32, 32)], seed=1), steps=1)
    assert asked == [[(255, 255, 255), True]]  # no words: a plain white background, the object no colour
    asked.clear()
    pipe.regenerate(doc, 1, seed=2, hint="a #3fa2c4 square", steps=1)
    pipe.regenerate(doc, 1, seed=2, hint="a #3fa2c4 square with a drop shadow", steps=1)
    pipe.regenerate(doc, 0, seed=2, hint="a plain olive background", steps=1)
    pipe.regenerate(doc, 0, seed=2, hint="an olive sky", steps=1)  # smoothed as a gradient, then snapped
    pipe.regenerate(doc, 0, seed=2, hint="a red to blue gradient background", steps=1)  # the ramp asked
    pipe.regenerate(doc, 0, seed=2, hint="red stripes on blue", steps=1)
    red, blue, olive, cyan = BASE_COLOURS["red"], BASE_COLOURS["blue"], colour_names()["olive"], (0x3f, 0xa2, 0xc4)
    # flat with its drop shadow too: the shadow is drawn apart from the object (effects.with_shadow)
    assert asked == [[cyan, True], [cyan, True], [olive, True], [olive], [olive, False], [red, blue], [blue, red]]
    pipe.regenerate(doc, 0, seed=2, hint="black stripes on white", steps=1)
    assert asked[-1] == [(255, 255, 255), (0, 0, 0)]  # paper and ink, not the corpus's 22 and 246
    pipe.decompose(doc.compose(), [Box(0, 0, 32, 32)], "a #3fa2c4 square on olive", steps=1)
    assert len(asked) == 8


def test_words_asking_for_one_colour_alone_get_it_flat_where_the_layer_shows_it():
    assert flat_colour("white", background=True) == BASE_COLOURS["white"]
    assert flat_colour("a plain navy background", background=True) == (0, 0, 128)
    assert flat_colour("a navy sky", background=True) is None and flat_colour("the sea", background=True) is None
    assert flat_colour("a navy background with soft noise", background=True) is None
    assert flat_colour("a gradient from navy to gold", background=True) is None
    assert flat_colour("the words 'SHINY STAR' in white") == BASE_COLOURS["white"]  # lettering is no effect
    assert flat_colour("a red star outline") == BASE_COLOURS["red"] and flat_colour("a red star with a glow") is None
    assert flat_colour("a red and blue star") is None and flat_colour("a star") is None
    layer = np.zeros((32, 32, 4), np.uint8)
    layer[4:28, 4:28] = (235, 40, 60, 255)
    layer[4:28, 4] = (120, 200, 255, 128)  # a tinted fringe
    flat = snap_to_colour(layer, BASE_COLOURS["red"], flat=True)
    assert (flat[..., :3] == BASE_COLOURS["red"]).all() and (flat[..., 3] == layer[..., 3]).all()
    assert np.array_equal(snap_to_colour(layer, BASE_COLOURS["blue"], flat=True), layer)  # it drew another colour


def test_a_gradient_background_is_painted_smooth():
    from layerstudio.engine.patterns import radial_ramp, smooth_gradient

    rng = np.random.default_rng(0)
    ys, xs = np.mgrid[0:64, 0:96]
    drawn = np.zeros((64, 96, 4), np.uint8)
    drawn[..., 3] = 255
    drawn[..., :3] = np.clip(60 + xs[..., None] * (0.6, 0.6, 1.5) + rng.normal(0, 12, (64, 96, 3)), 0, 255)
    drawn[::8, :, 1] = 30  # blotchy and lighter to the right, the patch grid showing
    smooth = smooth_gradient(drawn, "a soft blue gradient", seed=1, colours=[BASE_COLOURS["blue"]])
    assert np.abs(np.diff(smooth[..., :3].astype(int), axis=1)).max() <= 2  # no blotches, no grid
    assert np.abs(np.diff(smooth[..., :3].astype(int), axis=0)).max() <= 2
    assert smooth[:, -4:, 2].mean() - smooth[:, :4, 2].mean() > 100  # the model's own rise kept
    # drawn flat ('ombre pink'): its colour from darker to lighter, lighter where it leant
    flat = np.zeros((64, 96, 4), np.uint8)
    flat[..., :3] = np.clip(np.array([230, 120, 160]) + xs[..., None] * 0.05 + rng.normal(0, 6, (64, 96, 3)), 0, 255)
    ombre = smooth_gradient(flat, "ombre pink background", seed=1, colours=[BASE_COLOURS["pink"]])
    lightness = ombre[..., :3].astype(float) @ (0.299, 0.587, 0.114)
    assert lightness[:, -1].mean() - lightness[:, 0].mean() > 30
    assert np.abs(np.diff(ombre[..., :3].astype(int), axis=1)).max() <= 2
    # a radial one: the model's lightest colour at the centre, its darkest at the rim
    radial = smooth_gradient(drawn, "a glowing blue radial background", seed=1, colours=[])
    ramp = radial_ramp(96, 64, 1)
    centre, rim = np.unravel_index(ramp.argmin(), ramp.shape), np.unravel_index(ramp.argmax(), ramp.shape)
    assert radial[centre][2] > radial[rim][2] + 60
    # between two named colours, the ramp asked, from the first
    two = smooth_gradient(drawn, "a radial gradient from yellow to red", seed=1,
                          colours=[BASE_COLOURS["yellow"], BASE_COLOURS["red"]])
    assert np.abs(two[centre][:3].astype(int) - BASE_COLOURS["yellow"]).max() <= 2
    assert np.abs(two[rim][:3].astype(int) - BASE_COLOURS["red"]).max() <= 2


def test_a_colour_that_is_also_a_thing_is_the_thing_after_an_article_with_no_noun_after():
    def names(text):
        return [text[a:b] for a, b, _ in colour_spans(text)]

    assert names("a lemon and a lime on a yellow background") == ["yellow"]
    assert names("an orange, a plum.") == [] and names("an orange star on lime") == ["orange", "lime"]
    assert names("an orange and white cat") == ["orange", "white"] and names("on orange.") == ["orange"]
    assert names("an orange on white") == ["white"] and names("a plum on yellow.") == ["yellow"]


def test_everyday_colour_names_css_lacks_are_read_and_never_painted_by_the_corpus():
    from layerstudio.engine.colours import everyday_colours

    found = lambda text: [(text[a:b], rgb) for a, b, rgb in colour_spans(text)]  # noqa: E731
    assert found("a golden sun on a pale yellow background") == [("golden", (255, 215, 0)),
                                                                ("pale yellow", colour_names()["light yellow"])]
    assert found("a red rose")[1:] == []  # a flower, not a colour
    assert colour_names()["pale green"] == (152, 251, 152)  # CSS's own name keeps its colour
    assert found("a dark brown cup on off-white") == [("dark brown", (92, 64, 51)), ("off-white", (250, 249, 246))]
    assert [name for name, _ in found("'Thank You' in rose gold on blush pink, a mint star on soft peach")] == \
        ["rose gold", "blush pink", "mint", "peach"]
    assert found("a peach and a pear on white")[0][0] == "white"  # a fruit after an article with no noun after
    # shades of a name that no list has, mixed towards black or white; CSS's own shades stay
    dark_yellow, pale_orange = found("a dark yellow star on pale orange")
    assert dark_yellow[0] == "dark yellow" and sum(dark_yellow[1]) < sum(BASE_COLOURS["yellow"])
    assert pale_orange[0] == "pale orange" and sum(pale_orange[1]) > sum(BASE_COLOURS["orange"])
    assert found("light blue")[0][1] == colour_names()["lightblue"] and found("a dark, moody star") == []
    assert not set(everyday_colours()) & set(NAMED_COLOURS)
    # a thing's name holding one is the thing: the corpus's ice cream keeps its silhouette
    assert [name for name, _ in found("a purple ice cream and an Ice Cream on a cream background")] == \
        ["purple", "cream"]
    assert glyph_for("a purple ice cream", 64, 64) is not None


def test_words_naming_no_colour_get_the_things_usual_one_apart_from_the_background():
    from layerstudio.engine.usual_colours import background_in_usual_colour, object_in_usual_colour, without_parts

    white, navy = colour_names()["white"], colour_names()["navy"]
    assert object_in_usual_colour("a sun", 0, white) in ("a yellow sun", "a gold sun")
    assert object_in_usual_colour("an apple with a glow", 0) in ("a red apple with a glow", "a green apple with a glow")
    assert object_in_usual_colour("a red star", 0) == "a red star"  # a colour named stays the only one
    clouds = {object_in_usual_colour("a big cloud", seed, white) for seed in range(20)}
    assert clouds and not any(c in ("a big white cloud", "a big light grey cloud") for c in clouds)  # not white on white
    assert object_in_usual_colour("a big cloud", 3, navy) in ("a big white cloud", "a big light grey cloud")
    # a usual colour too near the background's: a shade of it, or the colour where it shows a little, not a bright
    # one ('a pine tree in a forest' came out red, clouds on a light blue sky yellow)
    forest, light_blue = colour_names()["dark green"], colour_names()["light blue"]
    assert {object_in_usual_colour("a pine tree", seed, forest) for seed in range(5)} == {"a light green pine tree"}
    assert {object_in_usual_colour("clouds", seed, light_blue) for seed in range(8)} == {"white clouds",
                                                                                       "light grey clouds"}
    # a thing the table lacks: a bright colour before its name, the seed choosing which; apart from the background
    zorblats = {object_in_usual_colour("a fluffy zorblat with wings", seed, colour_names()["red"]) for seed in range(30)}
    assert len(zorblats) > 3 and all(re.fullmatch(r"a fluffy [a-z ]+ zorblat with wings", d) for d in zorblats)
    assert "a fluffy red zorblat with wings" not in zorblats
    # before the thing's name, not its direction or what it does ('a king' is no participle)
    assert re.fullmatch(r"an? [a-z ]+ arrow pointing right", object_in_usual_colour("an arrow pointing right", 0))
    assert re.fullmatch(r"an? [a-z ]+ zorblat sitting on a mat", object_in_usual_colour("a zorblat sitting on a mat", 0))
    assert re.fullmatch(r"an? [a-z ]+ king", object_in_usual_colour("a king", 0))
    # the thing's name, not its extras: 'a square with a heart on it' is a square in some colour
    assert object_in_usual_colour("a square with a heart on it", 1).endswith("square with a heart on it")
    assert object_in_usual_colour("the word 'SALE' with a glow", 0, navy) == "the word 'SALE' in white with a glow"
    assert object_in_usual_colour("the word 'SALE'", 0, white) == "the word 'SALE' in black"
    # a thing's parts said after 'with' are not drawn, nor are their colours taken for the whole; effects are
    assert without_parts("a snowman with a carrot nose and a black hat") == "a snowman"
    assert without_parts("a red star with a drop shadow") == "a red star with a drop shadow"
    assert without_parts("the word 'with love' in red") == "the word 'with love' in red"
    assert background_in_usual_colour("the sea", 0) in ("the blue sea", "the teal sea")
    # a thing said across 'of' or 'and', or after a measure of it, takes its usual colour (they were random)
    assert object_in_usual_colour("a glass of milk", 0) == "a white glass of milk"
    assert object_in_usual_colour("a bunch of bananas", 0) == "a bunch of yellow bananas"
    assert object_in_usual_colour("a pair of jeans", 0) in ("a pair of blue jeans", "a pair of navy jeans")
    assert object_in_usual_colour("a nut and bolt", 0) in ("a grey nut and bolt", "a silver nut and bolt")
    # every time of day the planner takes for the background has its colours ('an owl at midnight' was white)
    from layerstudio.engine.planner import TIMES_OF_DAY
    assert all(background_in_usual_colour(when, 0) != when for when in TIMES_OF_DAY)
    assert background_in_usual_colour("a red sky", 0) == "a red sky"
    # a brick wall is brick-coloured (it was beige, a wall's), a savanna tan or khaki
    assert {background_in_usual_colour("a brick wall", seed) for seed in range(6)} == \
        {"a firebrick brick wall", "a brown brick wall"}
    assert background_in_usual_colour("a savanna background", 0) in ("a tan savanna background", "a khaki savanna background")
    assert {background_in_usual_colour("a pastel background", seed) for seed in range(6)} == \
        {"a pastel pink background", "a pastel blue background"}  # it was plain white, with a notice
    # a pattern named without colours gets them (it was a murky grey-green): a gradient two, stripes or dots one, on white
    assert re.fullmatch(r"an? [a-z ]+ to [a-z ]+ gradient background", background_in_usual_colour("a gradient background", 0))
    assert re.fullmatch(r"[a-z ]+ stripes on white", background_in_usual_colour("stripes", 0))
    # an object apart from both colours of a pattern ('a trophy' on green and gold stripes was gold)
    stripes = [colour_names()["green"], colour_names()["gold"]]
    assert {object_in_usual_colour("a trophy", seed, stripes) for seed in range(10)}.isdisjoint({"a gold trophy", "a green trophy"})
    # a pattern in one colour: on white (on black where the colour is near white), so that it has two
    assert background_in_usual_colour("pink stripes", 0) == "pink stripes on white"
    assert background_in_usual_colour("white polka dots", 0) == "white polka dots on black"
    assert background_in_usual_colour("thin orange stripes on navy", 0) == "thin orange stripes on navy"
    # ... and apart from the objects' colours (cream dots went on black under a black car, which vanished)
    names = colour_names()
    assert background_in_usual_colour("cream dots", 0, [names["black"], names["red"]]) == "cream dots on navy"
    assert background_in_usual_colour("pink stripes", 0, [names["white"]]) == "pink stripes on black"
    assert background_in_usual_colour("thin orange stripes on navy", 0, [names["navy"]]) == \
        "thin orange stripes on navy"  # the user's own ground stays
    assert {background_in_usual_colour("the sea", seed, [names["blue"]]) for seed in range(6)} == {"the teal sea"}
    # a palette the prompt states colours what names no colour, where its colours stand apart from the ground
    cream = names["cream"]
    assert {object_in_usual_colour("a cupcake", seed, cream, (), ["brown", "cream"]) for seed in range(6)} == \
        {"a brown cupcake"}
    assert object_in_usual_colour("the word 'SALE'", 0, cream, (), ["cream", "brown"]) == "the word 'SALE' in brown"
    assert object_in_usual_colour("a red cupcake", 0, cream, (), ["brown"]) == "a red cupcake"
    assert object_in_usual_colour("a cupcake", 0, cream, (), ["white"]) != "a white cupcake"  # not apart: usual
    # a colour goes before a whole name that holds another's: 'a rolling brown pin' was drawn as a push pin
    assert object_in_usual_colour("a rolling pin", 0, cream, (), ["brown"]) == "a brown rolling pin"
    # a colour goes before the whole name of an icon that holds a thing's name (it was 'a chef black hat': a fedora)
    assert object_in_usual_colour("a chef hat", 0, navy) in ("a white chef hat", "a slate grey chef hat")
    assert re.fullmatch(r"a (dark slate grey|grey) storm cloud", object_in_usual_colour("a storm cloud", 0, white))
    # a background said to be dark or light is in a colour of that shade, not white with a notice
    assert background_in_usual_colour("a dark background", 0) in (
        "a dark slate grey background", "a black background")
    assert background_in_usual_colour("a light background", 0) in ("a light grey background", "a beige background")
    assert background_in_usual_colour("a dark forest", 0).endswith("green forest")


def test_a_thing_asked_in_several_colours_is_drawn_in_the_first_and_told_so():
    from layerstudio.document import Box, Document, Layout
    from layerstudio.engine.pipeline import Pipeline
    from layerstudio.engine.request import JobRequest
    from layerstudio.engine.usual_colours import in_one_colour

    assert in_one_colour("a black and white cow") == "a black cow"  # the model drew their mean: olive
    assert in_one_colour("a red, white and blue flag") == "a red flag"
    for kept in ("a red star with a blue glow", "a red star", "the word 'red and blue'"):
        assert in_one_colour(kept) == kept
    pipe = Pipeline.from_preset("tiny", seed=0)
    document = Document.from_layout(Layout(64, 64, "", [Box(0, 0, 32, 32)], seed=1))
    document.layers[0].hint, document.layers[1].hint = "white", "a black and white cow"
    assert pipe.run(JobRequest.generate(document, 1, None)).notices == [
        "“a black and white cow” is drawn in black: this model draws each layer in one colour. Give the other "
        "colour a box of its own."]


def test_a_glow_said_as_an_adjective_is_said_as_the_corpus_says_it():
    from layerstudio.engine.effects import glow_as_learnt

    assert glow_as_learnt("a glowing yellow star") == "a yellow star with a glow"
    assert glow_as_learnt("'OPEN' in green glowing letters") == "'OPEN' in green letters with a glow"
    assert glow_as_learnt("the word 'GLOWING' in red") == "the word 'GLOWING' in red"  # lettering as written
    assert glow_as_learnt("a star with a soft glow") == "a star with a soft glow"


def spied(monkeypatch, name: str):
    """A tiny pipeline whose `name` step (a function of the layer's pixels and more) records its second argument,
    and a design of one box generated with it; the record starts empty."""
    import layerstudio.engine.pipeline as pipeline_module
    from layerstudio.document import Box, Layout
    from layerstudio.engine.pipeline import Pipeline

    asked = []
    monkeypatch.setattr(pipeline_module, name, lambda px, what, *rest: asked.append(what) or px)
    pipe = Pipeline.from_preset("tiny", seed=0)
    doc = pipe.generate(Layout(64, 64, "", [Box(0, 0, 32, 32)], seed=1), steps=1)
    asked.clear()
    return pipe, doc, asked


def test_generated_layers_naming_no_colour_are_drawn_and_snapped_in_their_usual_one(monkeypatch):
    from layerstudio.document import Box

    pipe, doc, asked = spied(monkeypatch, "snap_to_colour")
    doc = pipe.regenerate(doc, 0, seed=2, hint="a plain navy background", steps=1)
    pipe.regenerate(doc, 1, seed=2, hint="a lemon", steps=1)
    assert asked == [colour_names()["navy"], BASE_COLOURS["yellow"]]
    # the background given (kept): its pixels' colour is the one to stand apart from
    doc.layers[0].pixels[..., :3] = BASE_COLOURS["yellow"]
    pipe.regenerate(doc, 1, seed=2, hint="a lemon", steps=1)
    assert asked[-1] != BASE_COLOURS["yellow"]
    # a picture being decomposed shows its colours: none put in
    pipe.decompose(doc.compose(), [Box(0, 0, 32, 32)], "a lemon on navy", steps=1)
    assert len(asked) == 3


def test_objects_in_their_usual_colour_take_one_unlike_the_others_where_they_can(monkeypatch):
    import layerstudio.engine.pipeline as pipeline_module
    from layerstudio.document import Box, Layout
    from layerstudio.engine.pipeline import Pipeline

    asked = []
    monkeypatch.setattr(pipeline_module, "snap_to_colour", lambda px, colour, flat: asked.append(colour) or px)
    pipe = Pipeline.from_preset("tiny", seed=0)
    for seed in range(4):
        doc = pipe.generate(Layout(64, 64, "", [Box(0, 0, 32, 32), Box(32, 32, 64, 64)], seed=seed), steps=1)
        asked.clear()
        doc.layers[1].hint = "a yellow taxi"
        doc.layers[2].hint = "a bus with a black roof"
        pipe.run(pipeline_module.JobRequest.generate(doc, steps=1, keep={0}))
        assert asked == [BASE_COLOURS["yellow"], BASE_COLOURS["red"]]  # the bus's next usual colour, not its roof's


def test_colour_names_read_pillows_colormap_after_anything_has_used_a_colour_name():
    import subprocess
    import sys

    # Pillow puts an RGB tuple in place of a colormap name once it is looked up; our table is built once, later
    code = ("from PIL import Image; Image.new('RGB', (2, 2), 'lightblue'); Image.new('RGB', (2, 2), 'crimson')\n"
            "from layerstudio.engine.colours import colour_names\n"
            "print(colour_names()['crimson'], colour_names()['pale blue'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "(220, 20, 60) (173, 216, 230)"


def test_a_drop_shadow_asked_for_is_drawn_beneath_the_object_from_its_own_alpha():
    from layerstudio.engine.effects import with_shadow

    yy, xx = np.mgrid[0:96, 0:96]
    disc = np.zeros((96, 96, 4), np.uint8)
    inside = (yy - 40) ** 2 + (xx - 48) ** 2 < 28 ** 2
    disc[inside] = (220, 38, 38, 255)
    assert np.array_equal(with_shadow(disc, "a red circle", 1), disc)  # nothing asked
    empty = np.zeros_like(disc)
    assert np.array_equal(with_shadow(empty, "a red circle with a drop shadow", 1), empty)
    for seed in range(4):
        shadowed = with_shadow(disc, "a red circle with a drop shadow", seed)
        assert np.array_equal(shadowed[inside], disc[inside])  # the object as drawn
        below, above = shadowed[68:71, 44:52, 3].mean(), shadowed[9:12, 44:52, 3].mean()  # the disc spans 12-67
        assert below > 40 and below > 2 * above  # down, as light from above
        assert shadowed[68:71, 44:52, :3].max() < 60  # dark
    assert np.array_equal(with_shadow(disc, "a red circle with a glow", 0), disc)  # the model's glows show


def test_generated_layers_get_their_shadow_drawn_and_decomposed_ones_do_not(monkeypatch):
    from layerstudio.document import Box

    pipe, doc, asked = spied(monkeypatch, "with_shadow")
    pipe.regenerate(doc, 1, seed=2, hint="a red star with a drop shadow", steps=1)
    pipe.regenerate(doc, 0, seed=2, hint="a plain navy background", steps=1)  # backgrounds have none
    assert asked == ["a red star with a drop shadow"]
    pipe.decompose(doc.compose(), [Box(0, 0, 32, 32)], "a red star with a drop shadow on navy", steps=1)
    assert len(asked) == 1


def test_a_shadow_or_glow_said_outside_every_object_is_every_objects(monkeypatch):
    from layerstudio.engine.effects import effect_for_all

    prompt = "a red star, a blue moon and a green tree on white with drop shadows"
    assert effect_for_all(prompt, ["a red star", "a blue moon", "a green tree"]) == "with a drop shadow"
    assert effect_for_all("a star and a moon on navy, with a soft glow", ["a star", "a moon"]) == "with a soft glow"
    assert effect_for_all("a cat and a dog on navy with a yellow glow", ["a cat", "a dog"]) == "with a soft glow"
    # said in the background's words: still the objects' (a background has no shadow)
    assert effect_for_all("balloons on a sky blue background with soft shadows", ["balloons"]) == "with a soft shadow"
    prompt = "a red star with a drop shadow and a blue moon on white"  # the star's alone
    assert effect_for_all(prompt, ["a red star with a drop shadow", "a blue moon"]) is None
    assert effect_for_all("a red star on white", ["a red star"]) is None

    # in a job: a layer regenerated from a prompt that says shadows for all gets its shadow drawn
    pipe, doc, asked = spied(monkeypatch, "with_shadow")
    doc = replace(doc, prompt="a red star on white with drop shadows")
    pipe.regenerate(doc, 1, seed=2, hint="a red star", steps=1)
    assert asked == ["a red star with a drop shadow"]


def test_a_thing_named_with_nothing_drawn_before_with_is_drawn_as_what_follows():
    from layerstudio.engine.usual_colours import without_parts

    assert without_parts("Sunday Brunch with croissants") == "croissants"
    assert without_parts("a snowman with a black hat") == "a snowman"
    assert without_parts("a red star with a drop shadow") == "a red star with a drop shadow"
    assert without_parts("'HI' with a star") == "'HI'" and without_parts("a thing with stuff") == "a thing"


def test_a_generated_stripes_or_dots_background_is_painted_exactly_in_its_two_colours():
    from layerstudio.document import Box, Layout
    from layerstudio.engine.patterns import painted, pattern_for
    from layerstudio.engine.pipeline import Pipeline

    pipe = Pipeline.from_preset("tiny", seed=0)
    doc = pipe.generate(Layout(96, 64, "black and white striped background", [Box(8, 8, 40, 40)], seed=4), steps=1)
    coverage = pattern_for("black and white striped background", 96, 64, doc.layers[0].seed)
    assert 0.05 < coverage.mean() < 0.6  # a pattern, not one colour
    assert np.array_equal(doc.layers[0].pixels, painted(coverage, (0, 0, 0), (255, 255, 255)))  # white stripes
    doc = pipe.regenerate(doc, 0, seed=7, hint="orange polka dots on navy", steps=1)
    coverage = pattern_for("orange polka dots on navy", 96, 64, 7)
    assert 0.05 < coverage.mean() < 0.6
    assert np.array_equal(doc.layers[0].pixels, painted(coverage, colour_names()["navy"], BASE_COLOURS["orange"]))


def test_a_flat_colour_said_with_a_mood_is_that_colour_softened_or_muted_and_a_background_so_said_is_plain():
    from layerstudio.engine.colours import flat_colour, lab

    names = colour_names()
    assert "soft pink" not in names  # the corpus writes 'a soft teal gradient' of teal: the model reads the name
    pink, soft, muted = (lab(flat_colour(f"a {mood}pink background", background=True)) for mood in ("", "soft ", "muted "))
    chroma = lambda c: (c[1] ** 2 + c[2] ** 2) ** 0.5  # noqa: E731
    assert soft[0] > pink[0] + 5 and chroma(soft) < chroma(pink) * 0.7  # lighter and calmer: not hot pink
    assert abs(muted[0] - pink[0]) < 3 and chroma(muted) < chroma(pink) * 0.6
    assert flat_colour("a soft pink star") == flat_colour("a soft pink background", background=True)
    # a background said with a mood is one flat colour (the model painted 'a soft lavender background' blotchy)
    assert flat_colour("a warm beige background", background=True) == names["beige"]
    assert flat_colour("a soft sky with clouds", background=True) is None
    assert flat_colour("a soft teal gradient", background=True) is None


def test_a_layer_snapped_flat_takes_the_mood_said_of_its_colour(monkeypatch):
    import layerstudio.engine.pipeline as pipeline_module
    from layerstudio.document import Box, Layout
    from layerstudio.engine.colours import flat_colour
    from layerstudio.engine.pipeline import Pipeline

    def snapped_flat(pixels, colour, flat):  # as if the model drew near the colour named: the snap takes
        out = pixels.copy()
        out[..., :3] = colour
        return out

    monkeypatch.setattr(pipeline_module, "snap_to_colour", snapped_flat)
    pipe = Pipeline.from_preset("tiny", seed=0)
    doc = pipe.generate(Layout(64, 64, "", [Box(0, 0, 32, 32)], seed=1), steps=1)
    for hint in ("a soft pink background", "a muted teal background", "pink"):
        redrawn = pipe.regenerate(doc, 0, seed=2, hint=hint, steps=1).layers[0].pixels
        assert (redrawn[..., :3] == flat_colour(hint, background=True)).all()
    assert flat_colour("a soft pink background", background=True) != colour_names()["pink"]
