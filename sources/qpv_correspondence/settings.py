"""Constants of ANCT's correspondence list QPV 2024 ↔ QPV 2015 (data only; see README.md)."""

from __future__ import annotations

DATASET = "qpv_correspondence"
LICENCE = "Licence Ouverte 2.0 (ANCT)"
# V (../shared/sources/qpv_perimeters.md): file names users downloaded; no stable URL is known, so the
# list is taken only from local files (`quartiers refresh --files`), recognised by its header.
FILE_NAMES = ("liste-correspondance-qp2024-qp2015.csv", "liste-correspondance-qp2024-qp2015-hexagone.xlsx")
# V: `QP2024;Label_QP2024;Statut;QP2015_1;Label_QP2015_1;QP2015_2;Label_QP2015_2;QP2015_3;Label_QP2015_3`
CODE_2024 = "QP2024"
NAME_2024 = "LABEL_QP2024"
STATUS = "STATUT"
PREDECESSORS = tuple((f"QP2015_{i}", f"LABEL_QP2015_{i}") for i in (1, 2, 3))
REQUIRED = (CODE_2024, NAME_2024, "QP2015_1")
