"""The .lsproj project file: round trip, atomic save, and clear errors on bad files."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

from layerstudio.document import Box, Document, Layer, Provenance, Variation
from layerstudio.errors import UserError
from layerstudio.io import project
from layerstudio.io.project import load_project, save_project


def make_document(seed=0):
    rng = np.random.default_rng(seed)
    W, H = 96, 64
    bg = rng.integers(0, 256, (H, W, 4), dtype=np.uint8)
    fg = rng.integers(0, 256, (24, 40, 4), dtype=np.uint8)
    old = rng.integers(0, 256, (24, 40, 4), dtype=np.uint8)
    prov = Provenance("tiny-1", "a poster ☀", 5, 8)
    return Document(W, H, "a poster ☀", [
        Layer(Box(0, 0, W, H), bg, name="Background", seed=1),
        Layer(Box(-8, 40, 32, 64), fg, name="Céline", visible=False, opacity=0.25, locked=True, seed=5,
              hint="bolder", provenance=prov,
              variations=[Variation(old, 4, "first try", Provenance("tiny-1", "a poster ☀", 4, 8))], shown_at=0),
    ], model_id="tiny-1")


def assert_same(a: Document, b: Document):
    assert (a.width, a.height, a.prompt, a.model_id) == (b.width, b.height, b.prompt, b.model_id)
    assert len(a.layers) == len(b.layers)
    for x, y in zip(a.layers, b.layers):
        assert (x.name, x.box, x.visible, x.opacity, x.locked, x.seed, x.hint, x.provenance, x.shown_at) == \
               (y.name, y.box, y.visible, y.opacity, y.locked, y.seed, y.hint, y.provenance, y.shown_at)
        np.testing.assert_array_equal(x.pixels, y.pixels)
        assert len(x.variations) == len(y.variations)
        for v, w in zip(x.variations, y.variations):
            assert (v.seed, v.hint, v.provenance) == (w.seed, w.hint, w.provenance)
            np.testing.assert_array_equal(v.pixels, w.pixels)


def test_round_trip_with_variations(tmp_path):
    doc = make_document()
    path = tmp_path / "d.lsproj"
    save_project(doc, path)
    assert_same(doc, load_project(path))
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "layerstudio-project" and manifest["version"] == 1
        assert sorted(zf.namelist()) == ["layers/000.png", "layers/001.png", "manifest.json",
                                         "variations/001-00.png"]


def test_save_replaces_atomically_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "d.lsproj"
    save_project(make_document(0), path)
    before = path.read_bytes()

    def fail(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(project, "encode_png", fail)
    with pytest.raises(UserError, match="disk full"):
        save_project(make_document(1), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["d.lsproj"]
    monkeypatch.undo()
    save_project(make_document(1), path)
    assert_same(make_document(1), load_project(path))
    assert os.listdir(tmp_path) == ["d.lsproj"]


def _bad_variation(doc):
    layer = doc.layers[1]
    layer.variations.append(Variation(np.zeros((layer.box.height + 16, layer.box.width, 4), np.uint8), 9))


def _too_many_variations(doc):
    layer = doc.layers[1]
    layer.variations[:] = [Variation(layer.pixels, s) for s in range(project.MAX_VARIATIONS + 1)]


def _outside(doc):
    doc.layers.append(Layer(Box(200, 200, 216, 216), name="lost"))


def _long_hint(doc):
    doc.layers[1].hint = "x" * (project.MAX_TEXT + 1)


def _bad_steps(doc):
    doc.layers[1].provenance = Provenance("tiny-1", "p", 1, -3)


@pytest.mark.parametrize("spoil, expected", [
    (_bad_variation, "layer 1 variation 1: its image is 40 x 40 but the box"),
    (_too_many_variations, "layer 1: variations must be a list of at most"),
    (_outside, "layer 2: box"),
    (_long_hint, "layer 1: 'hint' is"),
    (_bad_steps, "'steps' must be an integer"),
])
def test_save_refuses_what_load_would_reject(tmp_path, spoil, expected):
    """A saved project always opens again: save refuses, writes nothing and keeps the old file."""
    path = tmp_path / "d.lsproj"
    save_project(make_document(0), path)
    before = path.read_bytes()
    doc = make_document(1)
    spoil(doc)
    with pytest.raises(UserError) as info:
        save_project(doc, path)
    message = str(info.value)
    assert message.startswith(f"cannot save {path}: ") and expected in message and "\n" not in message
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["d.lsproj"]
    with pytest.raises(UserError):
        save_project(doc, tmp_path / "new.lsproj")
    assert os.listdir(tmp_path) == ["d.lsproj"]


def test_save_errors_name_the_users_folder_not_the_temp_file(tmp_path):
    missing = tmp_path / "no" / "such"
    with pytest.raises(UserError) as info:
        save_project(make_document(), missing / "d.lsproj")
    assert str(info.value) == f"cannot save to {missing}: no such folder"
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError) as info:
        save_project(make_document(), tmp_path / "file" / "d.lsproj")
    assert str(info.value) == f"cannot save to {tmp_path / 'file'}: not a folder"
    with pytest.raises(UserError, match="it is a folder"):
        save_project(make_document(), tmp_path)
    assert not any(".tmp" in p.name for p in tmp_path.iterdir())


def rewrite(path, out, manifest_change=None, extra=(), drop=(), replace=None):
    """Copy a project, editing its manifest or entries."""
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(entries["manifest.json"])
    if manifest_change:
        manifest_change(manifest)
    entries["manifest.json"] = json.dumps(manifest).encode()
    entries.update(replace or {})
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in entries.items():
            if name not in drop:
                zf.writestr(name, data)
        for name, data in extra:
            zf.writestr(name, data)
    return out


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.lsproj"
    save_project(make_document(), path)
    return path


def error_of(path):
    with pytest.raises(UserError) as info:
        load_project(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_truncated_and_junk_files(saved, tmp_path):
    data = saved.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        bad = tmp_path / f"cut{cut}.lsproj"
        bad.write_bytes(data[:cut])
        assert "truncated" in error_of(bad) or "damaged" in error_of(bad)
    junk = tmp_path / "junk.lsproj"
    junk.write_bytes(b"hello world, not a zip")
    assert "not a zip" in error_of(junk)
    empty = tmp_path / "empty.lsproj"
    empty.write_bytes(b"")
    assert "empty" in error_of(empty)
    assert "cannot read" in error_of(tmp_path / "missing.lsproj")


@pytest.mark.parametrize("change, expected", [
    (lambda m: m.update(version=99), "newer LayerStudio"),
    (lambda m: m.update(format="something-else"), "wrong format"),
    (lambda m: m.pop("version"), "no format version"),
    (lambda m: m.update(canvas=[100000, 64]), "canvas width"),
    (lambda m: m.update(canvas=[96]), "canvas"),
    (lambda m: m.update(layers=[]), "no layers"),
    (lambda m: m.update(layers=[m["layers"][0]] * 5000), "5000 layers"),
    (lambda m: m["layers"][1].update(box=[0, 0, 10**9, 10]), "absurdly far"),
    (lambda m: m["layers"][1].update(box=[500, 500, 540, 524]), "entirely outside"),
    (lambda m: m["layers"][1].update(box=[0, 0, 0, 24]), "zero or negative"),
    (lambda m: m["layers"][1].update(box=[0, 0, 41, 24]), "is 40 x 24 but the box"),
    (lambda m: m["layers"][1].update(opacity=float("nan")), "opacity"),
    (lambda m: m["layers"][1].update(visible="yes"), "visible"),
    (lambda m: m["layers"][1].update(seed=1.5), "seed"),
    (lambda m: m["layers"][1].update(shown_at=5), "shown_at"),
    (lambda m: m["layers"][1].update(image="../../etc/passwd"), "not a project image path"),
    (lambda m: m["layers"][1].update(image="layers/777.png"), "missing"),
    (lambda m: m["layers"][1].update(variations=[{"image": "variations/001-00.png"}] * 500), "variations"),
])
def test_bad_manifests(saved, tmp_path, change, expected):
    assert expected in error_of(rewrite(saved, tmp_path / "bad.lsproj", change))


def test_path_traversal_entry_names_are_refused(saved, tmp_path):
    bad = rewrite(saved, tmp_path / "evil.lsproj", extra=[("../outside.txt", b"x")])
    assert "unsafe entry name" in error_of(bad)
    assert not (tmp_path.parent / "outside.txt").exists()


def test_zip_bomb_is_refused_before_inflating(saved, tmp_path):
    bomb = b"\0" * (64 << 20)  # deflates about 1000-fold
    bad = tmp_path / "bomb.lsproj"
    with zipfile.ZipFile(saved) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["layers/001.png"] = bomb
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for n, d in entries.items():
            zf.writestr(n, d)
    message = error_of(bad)
    assert "declares" in message or "zip bomb" in message


def test_lying_declared_size_is_caught(saved, tmp_path):
    """A central directory that under-declares a member's size must not slip past the size checks."""
    data = bytearray(saved.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # central directory records: uncompressed size at +24, name length at +28
        name_len = int.from_bytes(data[pos + 28:pos + 30], "little")
        if data[pos + 46:pos + 46 + name_len] == b"layers/000.png":
            data[pos + 24:pos + 28] = (10).to_bytes(4, "little")
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    assert pos >= 0
    bad = tmp_path / "liar.lsproj"
    bad.write_bytes(bytes(data))
    assert "layers/000.png" in error_of(bad)


def test_damaged_png_member(saved, tmp_path):
    with zipfile.ZipFile(saved) as zf:
        png = zf.read("layers/001.png")
    broken = png[:40] + bytes(len(png) - 40)
    assert "damaged" in error_of(rewrite(saved, tmp_path / "png.lsproj", replace={"layers/001.png": broken}))
