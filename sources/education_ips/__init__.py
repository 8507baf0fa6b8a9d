"""IPS (indice de position sociale) of écoles, collèges and lycées: legacy, ap2022 and ap2023 series."""

from sources.education_ips.parse import IPS_SCHEMA, ips_dataset_of, parse_ips
from sources.education_ips.settings import IPS_DATASETS, export_url

__all__ = ["IPS_DATASETS", "IPS_SCHEMA", "export_url", "ips_dataset_of", "parse_ips"]
