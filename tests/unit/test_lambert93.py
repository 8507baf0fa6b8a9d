"""The closed-form Lambert-93 projection agrees with PROJ to the millimetre across France."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from warehouse.lambert93 import to_lambert93


@pytest.mark.parametrize(
    ("lon", "lat"),
    [
        (-0.03, 48.75),
        (2.26, 50.75),
        (2.9003, 42.7072),
        (7.75, 48.58),
        (-4.5, 48.4),
        (9.45, 42.7),
        (3.0, 46.5),
    ],
)
def test_matches_pyproj(lon: float, lat: float) -> None:
    want = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True).transform(lon, lat)
    got = to_lambert93(lon, lat)
    assert got == pytest.approx(want, abs=1e-3)
