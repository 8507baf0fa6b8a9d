"""IVAC: indicateurs de valeur ajoutée des collèges (DNB results and value added, per session)."""

from sources.education_iva.parse import IVA_SCHEMA, parse_iva
from sources.education_iva.settings import IVA_DATASET, export_url

__all__ = ["IVA_DATASET", "IVA_SCHEMA", "export_url", "parse_iva"]
