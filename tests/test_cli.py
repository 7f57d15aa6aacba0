import subprocess
import sys

from layerstudio.cli import build_parser, main


def test_help_lists_every_subcommand(capsys):
    try:
        main(["--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    for name in ("gui", "generate", "regenerate", "decompose", "train", "eval", "bench", "info"):
        assert name in out


def test_every_subcommand_has_help():
    parser = build_parser()
    for name in ("gui", "generate", "regenerate", "decompose", "train", "eval", "bench", "info"):
        try:
            parser.parse_args([name, "--help"])
        except SystemExit as exc:
            assert exc.code == 0


def test_info_reports_versions_device_and_model():
    out = subprocess.run([sys.executable, "-m", "layerstudio", "info"], capture_output=True, text=True, check=True).stdout
    assert "layerstudio 0.1.0" in out
    assert "torch" in out and "device      cpu" in out
    assert "models/default" in out
