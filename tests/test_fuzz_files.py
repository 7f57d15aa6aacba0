"""Seeded fuzzing of the file readers: mutated, truncated and structurally damaged projects and PSDs must
load or fail with UserError, never with any other exception."""
import io
import json
import random
import zipfile

import numpy as np
import pytest

from layerstudio.document import Box, Document, Layer, Provenance, Variation
from layerstudio.errors import UserError
from layerstudio.io.project import load_project, open_project, save_project
from layerstudio.io.psd import export_psd, import_psd

CASES = 200


def small_document():
    rng = np.random.default_rng(1)
    pix = lambda h, w: rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    return Document(48, 32, "fuzz ☀", [
        Layer(Box(0, 0, 48, 32), pix(32, 48), name="Background", seed=1),
        Layer(Box(-4, 8, 20, 24), pix(16, 24), name="Ünïcode ✦", opacity=0.5, visible=False, seed=2,
              provenance=Provenance("m", "fuzz", 2, 4), variations=[Variation(pix(16, 24), 9)]),
        Layer(Box(30, 20, 50, 36), pix(16, 20), name="top", locked=True, hint="h"),
    ], model_id="m")


def byte_mutations(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:  # truncate
        return bytes(data[: rng.randrange(len(data))])
    if kind == 1:  # flip a few bytes, biased towards headers and directories at both ends
        for _ in range(rng.randint(1, 8)):
            pos = rng.choice([rng.randrange(min(len(data), 400)), rng.randrange(len(data)),
                              len(data) - 1 - rng.randrange(min(len(data), 400))])
            data[pos] = rng.randrange(256)
        return bytes(data)
    if kind == 2:  # overwrite a 4-byte field with an extreme value
        pos = rng.randrange(len(data) - 4)
        data[pos:pos + 4] = rng.choice([b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\x00\x00\x00\x00",
                                        b"\x80\x00\x00\x00", b"\x00\x01\x00\x00"])
        return bytes(data)
    if kind == 3:  # delete a chunk
        a = rng.randrange(len(data))
        return bytes(data[:a] + data[a + rng.randint(1, 64):])
    a = rng.randrange(len(data))  # insert junk
    return bytes(data[:a] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))) + data[a:])


def hostile_value(rng: random.Random):
    return rng.choice([None, True, -1, 0, 2**70, -(2**70), 1.5, float("inf"), "x" * rng.randint(0, 300),
                       [], [1, 2], [0, 0, 10**12, 5], {}, {"a": [None]}, "../../x.png", "layers/000.png",
                       [0, 0, 16, 16], [-99999, 0, 16, 16]])


def mutate_manifest(obj, rng: random.Random):
    """Replace, delete or add one value somewhere in the manifest."""
    path = []
    node = obj
    if isinstance(obj.get("layers"), list) and obj["layers"] and rng.random() < 0.7:
        path.append((obj, "layers"))  # mostly deep inside the layers, where most checks are
        node = obj["layers"]
    while isinstance(node, (dict, list)) and node and rng.random() < 0.85:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        path.append((node, key))
        node = node[key]
    if not path:
        obj[rng.choice(["format", "version", "canvas", "layers", "prompt"])] = hostile_value(rng)
        return obj
    parent, key = path[-1]
    action = rng.randrange(3)
    if action == 0 and isinstance(parent, dict):
        del parent[key]
    elif action == 1 and isinstance(parent, list):
        parent.extend([parent[key]] * rng.randint(1, 3))
    else:
        parent[key] = hostile_value(rng)
    return obj


def rezip(entries: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def expect_clean(load, path):
    try:
        load(path)
    except UserError as exc:
        assert str(exc) and "\n" not in str(exc)


@pytest.fixture(scope="module")
def project_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "seed.lsproj"
    save_project(small_document(), path)
    return path.read_bytes()


@pytest.fixture(scope="module")
def psd_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "seed.psd"
    export_psd(small_document(), path)
    return path.read_bytes()


def test_fuzz_project_bytes(project_bytes, tmp_path):
    rng = random.Random(1234)
    path = tmp_path / "f.lsproj"
    for _ in range(CASES):
        path.write_bytes(byte_mutations(project_bytes, rng))
        expect_clean(load_project, path)
        expect_clean(open_project, path)  # the reader that survives damaged images fails as cleanly


def test_fuzz_project_structure(project_bytes, tmp_path):
    """Well-formed zips with hostile manifests and entries: this reaches the validation, not just the CRCs."""
    rng = random.Random(99)
    with zipfile.ZipFile(io.BytesIO(project_bytes)) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(entries["manifest.json"])
    path = tmp_path / "s.lsproj"
    loaded = 0
    for _ in range(CASES):
        changed = dict(entries)
        m = json.loads(json.dumps(manifest))
        for _ in range(rng.randint(1, 3)):
            m = mutate_manifest(m, rng)
        changed["manifest.json"] = json.dumps(m).encode()
        if rng.random() < 0.3:  # damage or swap an image too
            name = rng.choice([n for n in entries if n.endswith(".png")])
            changed[name] = rng.choice([b"", entries["layers/000.png"], byte_mutations(entries[name], rng)])
        path.write_bytes(rezip(changed))
        try:
            load_project(path)
            loaded += 1
        except UserError as exc:
            assert str(exc) and "\n" not in str(exc)
            # Every hostile manifest is caught by a named check, not by the catch-all for damaged files.
            assert "damaged project file" not in str(exc), str(exc)
        try:
            document, warnings = open_project(path)
            assert all(w and "\n" not in w for w in warnings)
        except UserError as exc:
            assert "damaged project file" not in str(exc), str(exc)
    assert loaded < CASES  # the mutations do reach the checks


def test_fuzz_psd(psd_bytes, tmp_path):
    rng = random.Random(4321)
    path = tmp_path / "f.psd"
    for _ in range(CASES):
        path.write_bytes(byte_mutations(psd_bytes, rng))
        expect_clean(import_psd, path)
