"""Decomposed layers' colours refitted so the layers stack back into the picture."""
import numpy as np

import layerstudio.engine.pipeline as pipeline_module
from layerstudio.document import Box, Document, Layer
from layerstudio.engine.pipeline import Pipeline
from layerstudio.engine.refit import refit_colours


def premultiplied(image):
    image = image.astype(np.float64)
    return image[..., :3] * image[..., 3:] / 255.0


def random_layers(rng, boxes):
    layers = []
    for k, box in enumerate(boxes):
        pixels = rng.integers(0, 256, (box.height, box.width, 4), dtype=np.uint8)
        if k == 0:
            pixels[..., 3] = 255
        else:  # soft, partly transparent shapes, as shadows and glows are
            pixels[..., 3] = np.where(rng.random((box.height, box.width)) < 0.3, 0, pixels[..., 3])
        layers.append(pixels)
    return layers


def stack(boxes, layers, width=64, height=48):
    return Document(width, height, "", [Layer(b, px) for b, px in zip(boxes, layers)]).compose()


def test_refitted_layers_stack_into_the_picture_and_keep_their_alpha():
    rng = np.random.default_rng(0)
    boxes = [Box(0, 0, 64, 48), Box(8, 8, 40, 40), Box(24, -8, 80, 32)]  # the last runs off the canvas
    truth = random_layers(rng, boxes)
    picture = stack(boxes, truth)
    drawn = [px.copy() for px in truth]
    for px in drawn:  # the model's colours: near, not exact
        px[..., :3] = np.clip(px[..., :3].astype(int) + rng.integers(-60, 61, px[..., :3].shape), 0, 255)
    before = np.abs(premultiplied(stack(boxes, drawn)) - premultiplied(picture)).mean()
    fitted = refit_colours(boxes, drawn, picture, [True, True, True])
    after = np.abs(premultiplied(stack(boxes, fitted)) - premultiplied(picture))
    assert before > 10 and after.mean() < 0.5 and np.percentile(after, 99) <= 3
    for drawn_px, fitted_px in zip(drawn, fitted):
        assert np.array_equal(drawn_px[..., 3], fitted_px[..., 3])
    # off the canvas nothing says what the colour is: kept as drawn
    assert np.array_equal(fitted[2][:8], drawn[2][:8]) and np.array_equal(fitted[2][:, 40:], drawn[2][:, 40:])


def test_given_layers_are_kept_and_the_others_take_the_difference():
    rng = np.random.default_rng(1)
    boxes = [Box(0, 0, 64, 48), Box(0, 0, 64, 48)]
    truth = random_layers(rng, boxes)
    picture = stack(boxes, truth)
    drawn = [truth[0].copy(), truth[1].copy()]
    drawn[0][..., :3] = 128
    fitted = refit_colours(boxes, drawn, picture, [True, False])
    assert np.array_equal(fitted[1], drawn[1])
    shows = drawn[1][..., 3] < 128  # where the top layer lets most through, the background takes the fix
    error = np.abs(premultiplied(stack(boxes, fitted)) - premultiplied(picture))[shows]
    assert error.mean() < 1.0


def test_decomposed_layers_stack_back_into_the_picture(monkeypatch):
    pipe = Pipeline.from_preset("tiny", seed=0)
    image = np.random.default_rng(2).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    boxes = [[0, 0, 48, 48], [32, 16, 96, 64]]

    def error():
        doc = pipe.decompose(image, boxes, "two things", seed=3, steps=2)
        return np.abs(premultiplied(doc.compose()) - image.astype(np.float64)).mean()

    refitted = error()
    monkeypatch.setattr(pipeline_module, "refit_colours", lambda boxes, layers, picture, adjustable: layers)
    assert refitted < error() / 2
