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
    if os.path.isdir("/proc/self"):  # a folder that makes no new files: 'No such file or directory' read as an open
        with pytest.raises(UserError) as info:
            save_project(make_document(), "/proc/d.lsproj")
        assert str(info.value) == "cannot save to /proc: new files cannot be made there"


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


# ------------------------------------------------------------------ damaged images: open_project survives them
def cut_member(path, out, member, keep=0.5):
    """Copy a project with one PNG member cut short (the zip itself stays sound)."""
    with zipfile.ZipFile(path) as zf:
        data = zf.read(member)
    return rewrite(path, out, replace={member: data[:max(60, int(len(data) * keep))]})


def three_layer_document():
    doc = make_document()
    rng = np.random.default_rng(7)
    top = Layer(Box(40, 8, 72, 40), rng.integers(0, 256, (32, 32, 4), dtype=np.uint8), name="Yellow sun",
                locked=False, seed=9, hint="a sun")
    return Document(doc.width, doc.height, doc.prompt, doc.layers + [top], doc.model_id)


def test_a_truncated_layer_image_opens_empty_with_a_warning(tmp_path):
    doc = three_layer_document()
    save_project(doc, tmp_path / "good.lsproj")
    bad = cut_member(tmp_path / "good.lsproj", tmp_path / "bad.lsproj", "layers/001.png")
    assert "layer 1: image 'layers/001.png' is damaged" in error_of(bad)  # load_project: all or nothing

    opened, warnings = project.open_project(bad)
    assert len(opened.layers) == 3
    for i in (0, 2):  # the intact layers, whole
        assert_same(Document(doc.width, doc.height, doc.prompt, [doc.layers[i]], doc.model_id),
                    Document(doc.width, doc.height, doc.prompt, [opened.layers[i]], doc.model_id))
    old, new = doc.layers[1], opened.layers[1]
    assert (new.name, new.box, new.visible, new.opacity, new.locked, new.seed, new.hint, new.provenance,
            new.shown_at) == (old.name, old.box, old.visible, old.opacity, old.locked, old.seed, old.hint,
                              old.provenance, old.shown_at)
    assert new.pixels.shape == (old.box.height, old.box.width, 4) and not new.pixels.any()  # transparent
    assert len(new.variations) == 1  # its intact variation stays: picking it brings the layer back
    np.testing.assert_array_equal(new.variations[0].pixels, old.variations[0].pixels)
    assert warnings == ["layer 1 “Céline”: its image is damaged, so it opens empty (its box, name and settings "
                        "are kept); pick its kept variation or unlock and regenerate it to draw it again"]
    # What opened saves and opens again, warning-free.
    save_project(opened, tmp_path / "again.lsproj")
    assert project.open_project(tmp_path / "again.lsproj")[1] == []


def test_a_damaged_variation_is_dropped_alone(tmp_path):
    doc = make_document()
    layer = doc.layers[1]
    rng = np.random.default_rng(3)
    variations = [Variation(rng.integers(0, 256, (24, 40, 4), dtype=np.uint8), s, f"take {s}") for s in range(3)]
    layer = Layer(layer.box, layer.pixels, name="Star", seed=7, variations=variations, shown_at=2)
    doc = Document(doc.width, doc.height, doc.prompt, [doc.layers[0], layer], doc.model_id)
    save_project(doc, tmp_path / "good.lsproj")
    bad = cut_member(tmp_path / "good.lsproj", tmp_path / "bad.lsproj", "variations/001-00.png", keep=0.3)
    assert "variation 0" in error_of(bad)

    opened, warnings = project.open_project(bad)
    got = opened.layers[1]
    np.testing.assert_array_equal(got.pixels, layer.pixels)
    np.testing.assert_array_equal(opened.layers[0].pixels, doc.layers[0].pixels)
    assert [v.hint for v in got.variations] == ["take 1", "take 2"]
    np.testing.assert_array_equal(got.variations[0].pixels, variations[1].pixels)
    assert got.shown_at == 1  # the result in use still stands after the two variations before it
    assert warnings == ["layer 1 “Star”: 1 of its 3 kept variations was damaged and dropped"]


def test_a_zip_member_failing_its_crc_costs_only_that_layer(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("layers/001.png")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + info.compress_size // 2] ^= 0xFF
    bad = tmp_path / "crc.lsproj"
    bad.write_bytes(bytes(data))
    opened, warnings = project.open_project(bad)
    assert not opened.layers[1].pixels.any() and len(warnings) == 1 and warnings[0].startswith("layer 1 “Céline”")


@pytest.mark.parametrize("change, expected", [
    (lambda m: m["layers"][1].update(box=[0, 0, 41, 24]), "is 40 x 24 but the box"),
    (lambda m: m["layers"][1].update(image="layers/777.png"), "missing"),
    (lambda m: m["layers"][1].update(image="../../etc/passwd"), "not a project image path"),
    (lambda m: m["layers"][1].update(box=[500, 500, 540, 524]), "entirely outside"),
])
def test_open_project_still_refuses_manifest_damage(saved, tmp_path, change, expected):
    bad = rewrite(saved, tmp_path / "bad.lsproj", change)
    with pytest.raises(UserError, match=expected):
        project.open_project(bad)
    notjson = rewrite(saved, tmp_path / "notjson.lsproj", replace={"manifest.json": b"{not json"})
    with pytest.raises(UserError, match="not valid JSON"):
        project.open_project(notjson)
    with pytest.raises(UserError, match="no manifest"):
        project.open_project(rewrite(saved, tmp_path / "nomanifest.lsproj", drop=("manifest.json",)))
