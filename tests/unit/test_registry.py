"""The registry lists every source itself: which file is which needs no pipelines import (issue 17)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def test_scan_recognises_every_source_without_importing_pipelines() -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sources.registry import default_urls, scan\n"
        f"found = scan([Path({str(FIXTURES)!r})])\n"
        "datasets = sorted({layout.dataset for _p, layout in found.recognised})\n"
        "print(','.join(datasets))\n"
        "print(len(default_urls()))\n"
        "print(any(m == 'pipelines' or m.startswith('pipelines.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    datasets, n_urls, pipelines_loaded = out.stdout.strip().splitlines()
    found = set(datasets.split(","))
    # one dataset of each source, recognised by content
    for expected in ("caf_cnaf_iris", "insee_rp", "filosofi_grid", "qpv_correspondence", "insee_qpv_demo"):
        assert expected in found, (expected, found)
    assert any(d.startswith("defm") for d in found) and any(d.startswith("fr-en-") for d in found)
    assert int(n_urls) > 30
    assert pipelines_loaded == "False"
