"""LayerStudio: layered, transparent designs from anonymous boxes and one prompt."""
from pathlib import Path

__version__ = "0.1.0"

# resources/ sits beside the package in a checkout (editable install, the supported way to run).
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
DEFAULT_MODEL_DIR = RESOURCES / "models" / "default"
