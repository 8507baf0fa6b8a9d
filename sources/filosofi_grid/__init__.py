"""INSEE Filosofi gridded data (200 m cells, "données carroyées"): URLs, layouts and parsers."""

from sources.filosofi_grid.parse import (
    GEOMETRY_SCHEMA,
    STAGED_SCHEMA,
    add_cell_geometry,
    cell_squares,
    parse_filosofi_grid_csv,
    parse_filosofi_grid_gpkg,
    published_crs,
)
from sources.filosofi_grid.settings import DATASET, RELEASES

__all__ = [
    "DATASET",
    "GEOMETRY_SCHEMA",
    "RELEASES",
    "STAGED_SCHEMA",
    "add_cell_geometry",
    "cell_squares",
    "parse_filosofi_grid_csv",
    "parse_filosofi_grid_gpkg",
    "published_crs",
]
