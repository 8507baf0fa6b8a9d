"""Éducation prioritaire: the REP / REP+ lists (ministry list per rentrée, `fr-en-etablissements-ep`)."""

from sources.education_ep.parse import EP_SCHEMA, parse_ep, parse_ep_dataset, parse_ministry_list
from sources.education_ep.settings import EP_DATASET, export_url

__all__ = ["EP_DATASET", "EP_SCHEMA", "export_url", "parse_ep", "parse_ep_dataset", "parse_ministry_list"]
