"""Fiches d'identité of the QPVs: gather from the warehouse (`data`), draw (`svg`), render HTML, PDF and
Markdown (`render`), and a static site of every fiche (`site`).

    from warehouse.fiche import write_fiche
    paths = write_fiche(con, "QN09901I", out_dir, formats=("pdf", "html"))
"""

from __future__ import annotations

from warehouse.fiche.build import FORMATS, build_fiche, write_fiche
from warehouse.fiche.data import gather
from warehouse.fiche.model import FicheError

__all__ = ["FORMATS", "FicheError", "build_fiche", "gather", "write_fiche"]
