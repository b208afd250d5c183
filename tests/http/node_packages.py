"""npm packages for the tests that drive the gateway from Node.js, installed once per package
list into a folder under `.cache/` that the tests own."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

CACHE = Path(__file__).resolve().parent.parent.parent / ".cache"


def node_script(folder: str, packages: list[str], script: Path) -> Path:
    """`script` copied next to `packages` installed in `.cache/<folder>`, ready for `node`."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("this test needs Node.js and npm on the PATH")
    home = CACHE / folder
    marker = home / "installed.json"
    if not marker.exists() or json.loads(marker.read_text()) != packages:
        home.mkdir(parents=True, exist_ok=True)
        (home / "package.json").write_text(json.dumps({"name": folder, "private": True, "type": "module"}))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(home), *packages],
                       check=True, capture_output=True, timeout=300)
        marker.write_text(json.dumps(packages))
    shutil.copy(script, home / script.name)
    return home / script.name
