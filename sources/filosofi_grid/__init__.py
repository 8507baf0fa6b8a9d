"""INSEE Filosofi gridded data (200 m cells, "données carroyées"): URLs, layouts and parsers."""

from sources.filosofi_grid.parse import (
    STAGED_SCHEMA,
    add_cell_geometry,
    cell_squares,
    parse_filosofi_grid_csv,
    parse_filosofi_grid_gpkg,
)
from sources.filosofi_grid.settings import DATASET, RELEASES

__all__ = [
    "DATASET",
    "RELEASES",
    "STAGED_SCHEMA",
    "add_cell_geometry",
    "cell_squares",
    "parse_filosofi_grid_csv",
    "parse_filosofi_grid_gpkg",
]
