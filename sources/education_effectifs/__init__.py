"""Pupils per school (effectifs of écoles and collèges), with their rep / rep_plus flags."""

from sources.education_effectifs.parse import EFFECTIFS_SCHEMA, parse_effectifs
from sources.education_effectifs.settings import EFFECTIFS_DATASETS, export_url

__all__ = ["EFFECTIFS_DATASETS", "EFFECTIFS_SCHEMA", "export_url", "parse_effectifs"]
