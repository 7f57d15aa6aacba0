"""Decomposition: what each box shows read off the picture, and layers refitted to stack back into it."""
from dataclasses import replace

import numpy as np

import layerstudio.engine.decomposition as decomposition
import layerstudio.engine.pipeline as pipeline_module
from layerstudio.document import Box, Document, Layer
from layerstudio.engine.pipeline import Pipeline
from layerstudio.engine.request import JobRequest, empty_part_notice
from layerstudio.engine.decomposition import refit_colours, refit_layers, seen_coverage

WIDTH, HEIGHT = 96, 64


def premultiplied(image):
    image = image.astype(np.float64)
    return image[..., :3] * image[..., 3:] / 255.0


def shape_layer(rng, box, opaque=True):
    """Random colours; alpha a soft-edged disc filling the box (or everywhere, for a background)."""
    pixels = rng.integers(0, 256, (box.height, box.width, 4), dtype=np.uint8)
    if opaque:
        pixels[..., 3] = 255
    else:
        y, x = np.mgrid[:box.height, :box.width]
        r = np.hypot((y + 0.5) / box.height - 0.5, (x + 0.5) / box.width - 0.5) * 2
        pixels[..., 3] = np.clip((1.0 - r) * 8 * 255, 0, 255).astype(np.uint8)
    return pixels


def stack(boxes, layers):
    return Document(WIDTH, HEIGHT, "", [Layer(b, px) for b, px in zip(boxes, layers)]).compose()


def shift(pixels, amount):
    out = pixels.copy()
    out[..., :3] = np.clip(pixels[..., :3].astype(int) + amount, 0, 255)
    return out


def test_refitted_layers_stack_into_the_picture_where_they_show_and_keep_their_alpha():
    rng = np.random.default_rng(0)
    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(8, 8, 48, 48), Box(40, -16, 112, 40)]  # the last runs off the canvas
    truth = [shape_layer(rng, boxes[0])] + [shape_layer(rng, b, opaque=False) for b in boxes[1:]]
    picture = stack(boxes, truth)
    drawn = [shift(px, rng.integers(-60, 61, px[..., :3].shape)) for px in truth]  # near, not exact
    fitted = refit_colours(boxes, drawn, picture, [True, True, True])
    before = np.abs(premultiplied(stack(boxes, drawn)) - premultiplied(picture)).max(-1)
    after = np.abs(premultiplied(stack(boxes, fitted)) - premultiplied(picture)).max(-1)
    # where one layer shows (not at the discs' soft edges, which take their surroundings' correction)
    top = np.zeros((HEIGHT, WIDTH), bool)
    for box, px in zip(boxes, truth):
        on_canvas = Document(WIDTH, HEIGHT, "", [Layer(box, px)]).layer_on_canvas(0)[..., 3]
        top = np.where(on_canvas > 0, on_canvas >= 250, top)
    assert before[top].mean() > 20 and after[top].mean() < 1 and top.mean() > 0.5
    assert after.mean() < before.mean() / 3
    for drawn_px, fitted_px in zip(drawn, fitted):
        assert np.array_equal(drawn_px[..., 3], fitted_px[..., 3])
    # off the canvas nothing says what the colour is: kept as drawn
    assert np.array_equal(fitted[2][:16], drawn[2][:16]) and np.array_equal(fitted[2][:, 56:], drawn[2][:, 56:])


def test_hidden_parts_take_the_correction_around_them():
    # the model drew the background 40 levels too dark everywhere; an opaque square hides its middle
    rng = np.random.default_rng(1)
    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(32, 16, 64, 48)]
    truth = [np.full((HEIGHT, WIDTH, 4), (90, 140, 200, 255), np.uint8), shape_layer(rng, boxes[1])]
    drawn = [shift(truth[0], -40), truth[1]]
    fitted = refit_colours(boxes, drawn, stack(boxes, truth), [True, False])
    assert np.array_equal(fitted[1], drawn[1])  # a given layer is kept
    hidden = fitted[0][20:44, 36:60, :3].astype(int)
    assert np.abs(hidden - (90, 140, 200)).max() <= 2  # not a darker square where the object was



def test_a_background_hidden_behind_an_object_keeps_no_imprint_of_it():
    # the model's guess behind the square shows the square's own shape, faintly (as the default model's did)
    rng = np.random.default_rng(2)
    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(32, 16, 64, 48)]
    truth = [np.full((HEIGHT, WIDTH, 4), (90, 140, 200, 255), np.uint8), shape_layer(rng, boxes[1])]
    drawn = shift(truth[0], -20)
    drawn[20:44, 36:60, :3] += 30
    for fitted in (refit_colours(boxes, [drawn, truth[1]], stack(boxes, truth), [True, False]),
                   refit_layers(boxes, [drawn, truth[1]], stack(boxes, truth), [True, False])):
        hidden = fitted[0][16:48, 32:64, :3].astype(int)
        assert np.abs(hidden - (90, 140, 200)).max() <= 4

def disc(box, radius):
    y, x = np.mgrid[:box.height, :box.width]
    r = np.hypot(y + 0.5 - box.height / 2, x + 0.5 - box.width / 2)
    return (np.clip(radius + 0.5 - r, 0, 1) * 255).astype(np.uint8)


def test_an_object_drawn_too_small_is_widened_instead_of_leaving_its_rim_in_the_background():
    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(24, 8, 72, 56)]
    background = np.full((HEIGHT, WIDTH, 4), (240, 220, 60, 255), np.uint8)
    red = np.zeros((48, 48, 4), np.uint8)
    red[..., :3], red[..., 3] = (200, 30, 40), disc(boxes[1], 22)
    picture = stack(boxes, [background, red])
    drawn_red = red.copy()
    drawn_red[..., :3], drawn_red[..., 3] = (185, 45, 50), disc(boxes[1], 17)  # 5 px short, colour a little off
    drawn = [shift(background, -25), drawn_red]
    rim = (disc(boxes[1], 20) == 255) & (disc(boxes[1], 18) == 0)
    rim_in_background = np.zeros((HEIGHT, WIDTH), bool)
    rim_in_background[8:56, 24:72] = rim

    colours_only = refit_colours(boxes, drawn, picture, [True, True])
    assert colours_only[0][rim_in_background, 1].mean() < 100  # the object's red left in the background
    layers = refit_layers(boxes, drawn, picture, [True, True])
    assert np.abs(layers[0][rim_in_background, :3].astype(int) - (240, 220, 60)).max() <= 8
    assert layers[1][rim, 3].min() >= 240  # the object covers its rim
    assert np.abs(premultiplied(stack(boxes, layers)) - premultiplied(picture)).mean() < 1
    assert np.array_equal(layers[0][..., 3], drawn[0][..., 3])  # the background's alpha is its own
    # a layer the user gave keeps its alpha (and its colours): only the generated background changes
    given = refit_layers(boxes, drawn, picture, [True, False])
    assert np.array_equal(given[1], drawn[1])


def test_a_plain_background_keeps_no_ghost_of_the_objects_on_it_and_the_stack_still_gives_the_picture():
    from PIL import Image, ImageFilter

    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(24, 8, 72, 56)]
    background = np.full((HEIGHT, WIDTH, 4), (240, 220, 60, 255), np.uint8)
    soft = np.asarray(Image.fromarray(disc(boxes[1], 18)).filter(ImageFilter.GaussianBlur(2)))  # a glow-soft rim
    red = np.zeros((48, 48, 4), np.uint8)
    red[..., :3], red[..., 3] = (200, 30, 40), soft
    picture = stack(boxes, [background, red])
    drawn_red = red.copy()
    drawn_red[..., 3] = disc(boxes[1], 17)  # drawn hard-edged, a little short of the picture's rim
    layers = refit_layers(boxes, [shift(background, -25), drawn_red], picture, [True, True])
    under = np.zeros((HEIGHT, WIDTH), bool)
    under[8:56, 24:72] = disc(boxes[1], 23) > 0
    # no red rim left in it (31 levels off before); the glow's faintest tail, past the object's alpha, tints it a little
    assert np.abs(layers[0][under, :3].astype(int) - (240, 220, 60)).max() <= 12
    assert np.abs(premultiplied(stack(boxes, layers)) - premultiplied(picture)).max() <= 3


def test_an_object_no_box_was_drawn_for_stays_in_the_background_as_the_picture_shows_it():
    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(4, 8, 44, 48)]
    background = np.full((HEIGHT, WIDTH, 4), (240, 240, 240, 255), np.uint8)
    red = np.zeros((40, 40, 4), np.uint8)
    red[..., :3], red[..., 3] = (200, 30, 40), disc(boxes[1], 16)
    picture = stack(boxes, [background, red])
    y, x = np.mgrid[:HEIGHT, :WIDTH]
    unboxed = np.hypot(y - 32, x - 74) < 14  # a blue disc outside every box
    picture[unboxed, :3] = (30, 60, 200)
    layers = refit_layers(boxes, [shift(background, -25), red], picture, [True, True])
    # sharp and whole, as in the picture (it was taken for another layer's leftover and blurred away)
    assert np.abs(layers[0][..., :3].astype(int) - picture[..., :3])[unboxed].max() <= 2
    assert np.abs(premultiplied(stack(boxes, layers)) - premultiplied(picture)).max() <= 3


def test_a_striped_background_is_continued_behind_the_objects_and_a_gradient_is_not_repeated():
    y, x = np.mgrid[:HEIGHT, :WIDTH]
    background = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    background[(x + y) % 12 < 4, :3] = (220, 38, 38)  # red diagonal stripes on white
    boxes = [Box(0, 0, WIDTH, HEIGHT), Box(32, 16, 64, 48)]
    square = np.zeros((32, 32, 4), np.uint8)
    square[..., 2:] = 255  # opaque blue
    picture = stack(boxes, [background, square])
    drawn = shift(background, -20)
    drawn[16:48, 32:64, :3] = (230, 150, 150)  # the model's guess behind the square: a smudge of the two
    layers = refit_layers(boxes, [drawn, square], picture, [True, False])
    behind = layers[0][20:44, 36:60, :3].astype(int)
    assert np.abs(behind - background[20:44, 36:60, :3]).max() <= 2
    # a gradient does not repeat: behind the square it takes the correction around it, not copies of elsewhere
    ramp = np.zeros((HEIGHT, WIDTH, 4), np.uint8)
    ramp[..., 0], ramp[..., 1], ramp[..., 3] = x * 2, 255 - y * 3, 255
    gradient = decomposition._periodic_fill(ramp[..., :3] / 255.0, np.ones((HEIGHT, WIDTH), bool))
    assert gradient is None
    stripes = background[..., :3] / 255.0
    hidden = np.ones((HEIGHT, WIDTH), bool)
    hidden[16:48, 32:64] = False
    filled, trusted = decomposition._periodic_fill(np.where(hidden[..., None], stripes, 0.5), hidden)
    assert np.abs(filled - stripes).max() < 1e-6 and np.array_equal(trusted, hidden)
    # a visible pixel unlike its period neighbours (another layer's leftover) is not copied, and not trusted
    stray = np.where(hidden[..., None], stripes, 0.5)
    stray[10, 10] = (0.0, 0.0, 1.0)
    filled, trusted = decomposition._periodic_fill(stray, hidden)
    assert not trusted[10, 10] and trusted.sum() == hidden.sum() - 1 and np.abs(filled - stripes).max() < 1e-6


def test_decomposition_refits_its_layers_to_the_picture(monkeypatch):
    pipe = Pipeline.from_preset("tiny", seed=0)
    image = np.random.default_rng(2).integers(0, 256, (64, 96, 4), dtype=np.uint8)
    image[..., 3] = 255  # (a picture with clear parts is read filled in: test_a_picture_with_clear_bands...)
    seen = []

    def refit(boxes, layers, picture, adjustable):
        seen.append((picture, adjustable))
        return [np.full_like(px, 7) for px in layers]

    monkeypatch.setattr(pipeline_module, "refit_layers", refit)
    doc = pipe.decompose(image, [[0, 0, 48, 48], [32, 16, 96, 64]], "two things", seed=3, steps=2)
    assert len(seen) == 1 and np.array_equal(seen[0][0], image) and seen[0][1] == [True, True, True]
    assert all((layer.pixels == 7).all() for layer in doc.layers)


def test_seen_coverage_is_the_named_colour_where_the_box_shows_and_the_silhouette_where_it_is_hidden():
    picture = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    y, x = np.mgrid[:HEIGHT, :WIDTH]
    disc = np.hypot(y - 32, x - 24) < 20
    picture[disc, :3] = (200, 40, 40)  # a shaded red: "red" is (220, 38, 38)
    below, above = Box(-16, 0, 64, 64), Box(32, 0, 96, 64)  # the lower box runs off the canvas's left edge
    picture[:, 32:, :3] = (35, 85, 220)
    silhouette = np.full((64, 80), 0.5, np.float32)
    coverage = seen_coverage(picture, [below, above], 0, "a red disc", silhouette)
    assert coverage.shape == (64, 80)
    shown = disc[:, :32]
    assert np.array_equal(coverage[:, 16:48] == 1, shown)  # on the canvas, left of the upper box: the disc
    # under the upper box and off the canvas nothing shows: the silhouette stands in
    assert (coverage[:, 48:] == 0.5).all() and (coverage[:, :16] == 0.5).all()
    # the words in quotes are lettering, not a colour; a description naming no colour keeps the silhouette
    assert seen_coverage(picture, [below, above], 0, "the word 'red'", silhouette) is silhouette
    assert seen_coverage(picture, [below, above], 0, "a red disc", None)[:, 48:].max() == 0
    # the upper box shows its blue everywhere
    assert (seen_coverage(picture, [below, above], 1, "a blue square", None) == 1).all()


def test_a_decomposed_layer_is_given_what_its_box_shows(monkeypatch):
    pipe = Pipeline.from_preset("tiny", seed=0)
    picture = np.full((HEIGHT, WIDTH, 4), 255, np.uint8)
    picture[8:40, 8:40, :3] = (220, 38, 38)
    request = JobRequest.decompose(picture, [[0, 0, 48, 48]], "a red square", seed=1, steps=1)
    request.layers[1] = replace(request.layers[1], hint="a red square")  # the random tiny planner deals anything
    given = []
    original = pipeline_module.Pipeline._glyph

    def spy(self, request, index, description):
        glyph = original(self, request, index, description)
        given.append((index, description, glyph))
        return glyph

    monkeypatch.setattr(pipeline_module.Pipeline, "_glyph", spy)
    pipe.run(request)
    assert [(i, d) for i, d, _ in given] == [(0, ""), (1, "a red square")]
    assert np.array_equal(given[1][2].numpy() == 1, picture[:48, :48, 0] == 220)


def test_noise_in_the_picture_is_no_faint_alpha_over_a_decomposed_layers_box():
    rng = np.random.default_rng(0)
    picture = np.full((64, 64, 4), 255, np.uint8)
    picture[..., :3] = 128
    picture[..., 0] += rng.integers(0, 6, (64, 64)).astype(np.uint8)  # a grain towards the object's red
    picture[..., 1] -= rng.integers(0, 6, (64, 64)).astype(np.uint8)
    picture[24:40, 24:40, :3] = (220, 38, 38)
    background = picture.copy()
    background[..., :3] = 128  # what lies under the object, as a given layer: the grain is not in it
    drawn = np.zeros((48, 48, 4), np.uint8)
    drawn[..., :3] = (220, 38, 38)
    drawn[16:32, 16:32, 3] = 255
    layers = refit_layers([Box(0, 0, 64, 64), Box(8, 8, 56, 56)], [background, drawn], picture, [False, True])
    alpha = layers[1][..., 3]
    assert (alpha[16:32, 16:32] > 240).all() and (alpha[:12] == 0).all() and (alpha[:, :12] == 0).all()


def test_a_picture_with_clear_bands_is_read_as_what_they_border_and_its_layers_stay_clear_there():
    from layerstudio.engine.decomposition import opaque
    from layerstudio.engine.pipeline import Pipeline

    picture = np.zeros((64, 64, 4), np.uint8)
    picture[16:48] = (250, 250, 250, 255)  # a wide picture fitted into a square canvas: clear bands above and below
    picture[24:40, 24:40] = (220, 40, 40, 255)
    filled = opaque(picture)
    assert (filled[..., 3] == 255).all() and np.array_equal(filled[16:48], picture[16:48])
    assert (filled[:16, :, :3] == 250).all() and (filled[48:, :, :3] == 250).all()
    assert np.array_equal(filled[0, 30, :3], picture[16, 30, :3]) and np.array_equal(filled[63, 30], filled[47, 30])
    pipe = Pipeline.from_preset("tiny", seed=0)
    request = JobRequest.decompose(picture, [Box(16, 16, 48, 48)], "a red square on white", 1, steps=1)
    assert any(n.startswith("50% of the picture is clear: bands, as it was fitted") for n in pipe.run(request).notices)
    doc = pipe.decompose(picture, [Box(16, 16, 48, 48)], "a red square on white", seed=1, steps=1)
    for layer in doc.layers:  # clear where the picture is
        top = layer.pixels[:max(0, 16 - layer.box.y0), :, 3]
        assert top.size == 0 or top.max() == 0
    assert doc.layers[0].pixels[:16, :, 3].max() == 0 and doc.layers[0].pixels[20:44, :, 3].min() > 0


def test_the_background_read_off_an_opaque_picture_is_opaque():
    # (tiny random weights decode a background alpha anywhere in 0-255: an imported picture's showed through)
    picture = np.full((64, 64, 4), 255, np.uint8)
    picture[:, ::8, :3] = (20, 40, 160)  # stripes
    picture[20:44, 20:44, :3] = (220, 40, 40)
    doc = Pipeline.from_preset("tiny", seed=0).decompose(picture, [Box(16, 16, 48, 48)], "a red square on stripes",
                                                         seed=1, steps=1)
    assert (doc.layers[0].pixels[..., 3] == 255).all()
    outside = np.ones((64, 64), bool)
    outside[16:48, 16:48] = False  # (inside, what random weights draw there need not stack into the picture)
    assert np.abs(doc.compose().astype(int) - picture)[outside].max() <= 2


def test_a_box_holding_only_background_and_an_object_without_a_box_are_both_told(monkeypatch):
    pipe = Pipeline.from_preset("tiny", seed=0)
    picture = np.full((64, 64, 4), 255, np.uint8)
    picture[8:24, 8:24, :3] = (220, 38, 38)
    boxes = [Box(0, 0, 32, 32), Box(32, 32, 64, 64)]  # the second over plain white
    # (the random tiny planner deals anything: dealt as the trained one deals this picture)
    monkeypatch.setattr(pipe.model.planner, "deal", lambda *a, **k: {0: "red square", 1: "a blue circle"})
    request = JobRequest.decompose(picture, boxes, "a red square and a blue circle on white", 1, steps=1)
    result = pipe.run(request)
    doc = result.apply_to(Document(64, 64, request.prompt, []))
    assert [layer.name for layer in doc.layers] == ["Background", "Red square", "Layer 2"]
    assert doc.layers[2].provenance.phrase == "" and (doc.layers[2].pixels[..., 3] > 127).mean() < 0.005
    assert empty_part_notice(2) in result.notices
    assert not any("got no box" in n for n in result.notices)  # the picture shows nothing blue
    # both boxes on what the prompt names: neither notice
    picture[40:56, 40:56, :3] = (37, 99, 235)
    result = pipe.run(JobRequest.decompose(picture, boxes, request.prompt, 1, steps=1))
    assert not any("is empty" in n or "got no box" in n for n in result.notices), result.notices

    # (the notices alone, on layers as a trained model draws them: the tiny one's are anything)
    def told(picture, phrases, prompt="a red square, a blue circle and a green triangle on white"):
        request = JobRequest.decompose(picture, boxes, prompt, 1)
        layers = [picture.copy()] + [np.zeros((32, 32, 4), np.uint8) for _ in boxes]
        layers[1][8:24, 8:24] = (220, 38, 38, 255)
        layers[2][8:24, 8:24] = (37, 99, 235, 255)
        phrases = list(phrases)
        return pipe._decomposed_notices(request, phrases, layers), phrases

    picture[40:56, 40:56, :3] = 255
    picture[40:56, 4:20, :3] = (34, 160, 70)  # a green thing outside the boxes
    picture[40:56, 40:56, :3] = (37, 99, 235)
    notices, phrases = told(picture, ["", "red square", "a blue circle"])
    assert notices == ["“a green triangle” got no box, so it stays part of the background. To give it a layer of its "
                       "own, undo, draw a box over it and import again."]
    # words a box does not show in their colours name no layer; a thing named that the picture shows nowhere
    # outside the boxes is not said to stay in the background
    notices, phrases = told(picture, ["", "red square", "a yellow star"], "a red square and a yellow star on white")
    assert notices == ["Layer 2's box shows nothing yellow as “a yellow star” says, so it is named “Layer 2”: rename "
                       "it, or say in the prompt what it shows."] and phrases == ["", "red square", ""]


def test_what_a_box_shows_is_read_off_the_picture_when_the_words_say_it_otherwise():
    from layerstudio.engine.decomposition import shape_evidence

    picture = np.full((96, 96, 4), 255, np.uint8)
    y, x = np.mgrid[:96, :96]
    disc = np.hypot(y - 24, x - 24) < 16
    picture[disc, :3] = (34, 160, 70)  # a green disc
    picture[56:88, 56:88, :3] = (37, 99, 235)  # a blue square
    boxes = [Box(0, 0, 48, 48), Box(48, 48, 96, 96)]
    silhouette = np.full((48, 48), 0.5, np.float32)
    shown = seen_coverage(picture, boxes, 0, "a lime circle", silhouette)  # the shade of green shown, not lime's
    assert np.array_equal(shown == 1, disc[:48, :48])
    # words naming a colour the box does not show, or none: what stands apart from the plain ground around it
    assert np.array_equal(seen_coverage(picture, boxes, 1, "a yellow star", silhouette) == 1,
                          np.pad(np.ones((32, 32), bool), ((8, 8), (8, 8))))
    assert np.array_equal(seen_coverage(picture, boxes, 0, "shapes", None) == 1, disc[:48, :48])
    # ... on a gradient too
    ramp = picture.copy()
    ramp[..., :3] = np.linspace(120, 250, 96).astype(np.uint8)[None, :, None]
    ramp[disc, :3] = (34, 160, 70)
    assert np.array_equal(seen_coverage(ramp, boxes, 0, "shapes", None) == 1, disc[:48, :48])
    # ... on a ground of two colours (stripes), less the blend along their edges
    striped = picture.copy()
    striped[::4, :, :3] = (120, 60, 160)
    striped[disc, :3] = (34, 160, 70)
    found = seen_coverage(striped, boxes, 0, "a yellow star", silhouette) == 1
    assert (found & disc[:48, :48]).sum() > 0.9 * disc.sum() and (found & ~disc[:48, :48]).sum() < 0.05 * disc.sum()
    # ... but on a ground of many colours (blue and purple noise), nothing: the model reads the picture itself
    noisy, rng = picture.copy(), np.random.default_rng(0)
    noisy[..., 0], noisy[..., 1], noisy[..., 2] = (rng.integers(lo, hi, (96, 96)) for lo, hi in ((0, 120), (0, 120),
                                                                                                 (100, 256)))
    noisy[disc, :3] = (34, 160, 70)
    assert seen_coverage(noisy, boxes, 0, "a yellow star", silhouette) is None
    picture = striped
    from layerstudio.engine.decomposition import shows_named_colour
    assert shows_named_colour(picture, boxes, 1, "a yellow star") is False
    assert shows_named_colour(picture, boxes, 1, "a navy square") is True and shows_named_colour(picture, boxes, 1,
                                                                                                  "a square") is None
    # a box the ones above hide cannot tell (held-out designs' hidden objects were named 'Layer N')
    assert shows_named_colour(picture, [boxes[0], boxes[0]], 0, "a yellow star") is None
    # shapes said without colours are told apart by their shape, whatever their size in the box
    picture[::4, :, :3] = 255
    picture[disc, :3], picture[56:88, 56:88, :3] = (34, 160, 70), (37, 99, 235)
    fit = shape_evidence(picture, boxes, [0, 1], ["a circle", "a square"])
    assert fit[0, 0] > fit[0, 1] + 0.1 and fit[1, 1] > fit[1, 0] + 0.1


def test_the_background_is_as_clear_behind_the_objects_as_the_picture_is_beside_them():
    from layerstudio.engine.decomposition import clear_behind

    boxes = [Box(0, 0, 64, 64), Box(16, 16, 48, 48)]
    square = np.zeros((32, 32, 4), np.uint8)
    square[8:24, 8:24] = (220, 40, 40, 255)
    background = np.full((64, 64, 4), 255, np.uint8)
    sticker = np.zeros((64, 64), np.uint8)
    sticker[24:40, 24:40] = 255  # a red square on nothing

    def behind(alpha):  # (the background already as clear as the picture where it shows: as_clear_as)
        return clear_behind(boxes, [np.dstack([background[..., :3], alpha]), square], alpha)[..., 3]

    assert (behind(sticker) == 0).all()  # an opaque copy of the square was left there, seen when it was hidden
    bands = np.zeros((64, 64), np.uint8)
    bands[16:48] = 255  # a wide picture fitted into a square canvas: behind its objects, opaque
    assert np.array_equal(behind(bands), bands)
    half = np.full((64, 64), 128, np.uint8)
    half[24:40, 24:40] = 255  # on a half-clear ground: half clear behind it too
    assert (behind(half) == 128).all()
    # read filled in with a plain ground far from its colours (from the nearest, the square's red ran into it)
    from layerstudio.engine.decomposition import opaque
    red = np.zeros((64, 64, 4), np.uint8)
    red[24:40, 24:40] = (220, 40, 40, 255)
    ground = opaque(red)[sticker == 0]
    assert (ground == ground[0]).all() and np.abs(ground[0, :3].astype(int) - (220, 40, 40)).max() > 100
    # through the pipeline (what the tiny model's layer leaves showing stays in the background), and said so
    picture = np.zeros((64, 64, 4), np.uint8)
    picture[24:40, 24:40] = (220, 40, 40, 255)
    result = Pipeline.from_preset("tiny", seed=0).run(JobRequest.decompose(picture, [Box(16, 16, 48, 48)],
                                                                           "a red square", 1, steps=1))
    assert (result.layers[0][picture[..., 3] == 0, 3] == 0).all()
    assert "94% of the picture is clear: the layers stay clear there, the background behind the objects too." \
        in result.notices
