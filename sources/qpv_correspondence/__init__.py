"""ANCT's correspondence list QPV 2024 ↔ QPV 2015 (`liste-correspondance-qp2024-qp2015.csv`)."""

from sources.qpv_correspondence.parse import SCHEMA, looks_like_list, read_correspondence

__all__ = ["SCHEMA", "looks_like_list", "read_correspondence"]
