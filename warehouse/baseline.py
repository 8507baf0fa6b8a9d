"""Baseline and evaluation of a contract, from the warehouse to the export files.

`make_baseline` reads the current warehouse, builds the contract's baseline lines (models/baseline.py),
freezes them in the baseline store (warehouse/baseline_store.py) and writes the exports;
`make_evaluation` compares the frozen baseline with the warehouse's figures at a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from models.baseline import STATUS_FR, build_baseline, current_figures
from models.contracts import check_colleges_secteur, check_contract_territories
from models.evaluation import FLAG_FR, evaluate
from sources.contracts import Contract, load_contract
from warehouse.baseline_store import BaselineError, freeze_baseline, load_baseline
from warehouse.export import BASELINE_COLUMNS, EVALUATION_COLUMNS, french_date, write_all
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly, warehouse_info


@dataclass(frozen=True)
class WarehouseTables:
    observation: pl.DataFrame
    indicator: pl.DataFrame
    source_file: pl.DataFrame
    territory: pl.DataFrame  # kind, code, name, geo_version
    crosswalk: pl.DataFrame
    links: pl.DataFrame
    info: dict[str, str]


def read_tables(con: duckdb.DuckDBPyConnection) -> WarehouseTables:
    def q(sql: str) -> pl.DataFrame:
        return con.execute(sql).pl()

    return WarehouseTables(
        observation=q("SELECT * FROM observation"),
        indicator=q("SELECT * FROM indicator"),
        source_file=q("SELECT * FROM source_file"),
        # A 2015 QPV of INSEE's QPV bases is a territory of its geography even when no 2015 perimeter
        # file was given (the real contracts): it joins the territories a contract may name.
        territory=q(
            "SELECT kind, code, name, geo_version FROM territory UNION ALL "
            "SELECT DISTINCT o.territory_kind, o.territory_code, NULL, o.territory_kind FROM observation o "
            "WHERE o.territory_kind IN ('qpv2015', 'qpv2024') AND NOT EXISTS ("
            "SELECT 1 FROM territory t WHERE t.kind = o.territory_kind AND t.code = o.territory_code)"
        ),
        crosswalk=q("SELECT code_2015, code_2024, share_of_2024, relation FROM qpv_crosswalk"),
        links=q("SELECT child_kind, child_code, parent_kind, parent_code FROM territory_link"),
        info=warehouse_info(con),
    )


def open_tables(home: Path) -> WarehouseTables:
    con = connect_readonly(warehouse_path(home), spatial=False)
    try:
        return read_tables(con)
    finally:
        con.close()


def exports_dir(home: Path, contract: str) -> Path:
    return home / "exports" / contract


@dataclass(frozen=True)
class Produced:
    frame: pl.DataFrame
    files: dict[str, Path]
    frozen: Path | None = None


NNBSP = "\u202f"


def _counts(frame: pl.DataFrame, column: str) -> str:
    """« publié : 241, absent : 1 929 » (statuses in French, counts with French thousands)."""
    rows = frame.group_by(column).len().sort("len", descending=True).iter_rows()
    words = STATUS_FR if column == "status" else {}
    return ", ".join(f"{words.get(k, k)} : {f'{n:,}'.replace(',', NNBSP)}" for k, n in rows)


def make_baseline(
    home: Path,
    contract_name: str,
    *,
    on: date | None = None,
    out_dir: Path | None = None,
    force: bool = False,
    contracts_dir: Path | None = None,
) -> Produced:
    """Build, freeze (refused if already frozen, unless ``force``) and export a contract's baseline."""
    contract = load_contract(contract_name, directory=contracts_dir)
    tables = open_tables(home)
    check_contract_territories(contract, tables.territory)
    on = on or contract.baseline_date
    frame = build_baseline(
        contract=contract.name,
        baseline_date=on,
        targets=contract.territory_rows(),
        observation=tables.observation,
        indicator=tables.indicator,
        source_file=tables.source_file,
        territory=tables.territory,
        indicator_ids=list(contract.indicators) if contract.indicators else None,
        frozen_at=datetime.now(UTC).isoformat(timespec="seconds"),
        warehouse_built_at=tables.info.get("built_at", ""),
    )
    frozen = freeze_baseline(home, contract.name, on, frame, force=force)
    frame = load_baseline(home, contract.name, on)  # exports are made from what was frozen
    files = write_all(
        frame,
        BASELINE_COLUMNS,
        out_dir or exports_dir(home, contract.name),
        f"baseline-{on.isoformat()}",
        title=f"Situation de référence — {contract.title}",
        readme=_baseline_readme(contract, frame, tables.info, frozen),
        indicator=tables.indicator,
        source_file=tables.source_file,
        extra_sheets=[("Collèges de secteur", colleges_de_secteur(home, contract))]
        if contract.colleges_secteur
        else [],
    )
    return Produced(frame, files, frozen)


def colleges_de_secteur(home: Path, contract: Contract) -> pl.DataFrame:
    """The contract's collèges de secteur with their distance to each QPV perimeter and their latest
    figures (IPS, EP status, pupils, with the rentrée), French column names."""
    from warehouse.qpv_schools import contract_secteurs, qpv_schools

    con = connect_readonly(warehouse_path(home), spatial=False)
    try:
        check_colleges_secteur(contract, con.execute("SELECT DISTINCT uai, name, level FROM school").pl())
        frame = qpv_schools(
            con,
            "qpv2024",
            contract.qpv2024_codes,
            within_m=None,
            levels=("college",),
            secteurs=contract_secteurs([contract]),
        ).filter(pl.col("college_secteur"))
    finally:
        con.close()
    return frame.select(
        pl.col("qpv_code").alias("QPV 2024"),
        pl.col("uai").alias("UAI"),
        pl.col("name").alias("Collège"),
        pl.col("distance_m").round(0).alias("Distance au périmètre (m)"),
        pl.col("ep_status").alias("Éducation prioritaire"),
        pl.col("ep_rentree").alias("Rentrée (EP)"),
        pl.col("ips").round(1).alias("IPS"),
        pl.col("ips_rentree").alias("Rentrée (IPS)"),
        pl.col("pupils").alias("Élèves"),
        pl.col("latest_rentree").alias("Rentrée (élèves)"),
        pl.col("declared_by").alias("Déclaré par le contrat"),
    )


def make_evaluation(
    home: Path,
    contract_name: str,
    *,
    at: date | None = None,
    baseline_on: date | None = None,
    out_dir: Path | None = None,
    contracts_dir: Path | None = None,
) -> Produced:
    """Compare the frozen baseline (the contract's baseline date by default, else the latest frozen)
    with the figures available at ``at`` (default: today) and export the evaluation."""
    contract = load_contract(contract_name, directory=contracts_dir)
    at = at or date.today()
    try:
        baseline = load_baseline(home, contract.name, baseline_on or contract.baseline_date)
    except BaselineError:
        if baseline_on is not None:
            raise
        baseline = load_baseline(home, contract.name, None)
    tables = open_tables(home)
    now = current_figures(
        baseline,
        observation=tables.observation,
        indicator=tables.indicator,
        source_file=tables.source_file,
        territory=tables.territory,
        at=at,
    )
    frame = evaluate(
        baseline,
        now,
        indicator=tables.indicator,
        evaluated_at=at,
        crosswalk=tables.crosswalk,
        links=tables.links,
    )
    bdate = baseline["baseline_date"][0] if baseline.height else contract.baseline_date
    files = write_all(
        frame,
        EVALUATION_COLUMNS,
        out_dir or exports_dir(home, contract.name),
        f"evaluation-{at.isoformat()}",
        title=f"Évaluation — {contract.title}",
        readme=_evaluation_readme(contract, frame, tables.info, bdate, at),
        indicator=tables.indicator,
        source_file=tables.source_file,
    )
    return Produced(frame, files)


def _common_readme(contract: Contract, info: dict[str, str]) -> list[tuple[str, str]]:
    qpvs = ", ".join(
        f"{q.code}{' ' + q.name if q.name else ''}"
        + (f" (remplace {', '.join(q.replaces)})" if q.replaces else " (nouveau)")
        for q in contract.qpvs
    )
    refs = ", ".join(f"{r.kind} {r.code}" for r in contract.references)
    return [
        ("Contrat", f"{contract.title} ({contract.name})"),
        ("Données", info.get("label", "")),
        ("Entrepôt construit le", info.get("built_at", "")),
        ("QPV", qpvs),
        ("QPV 2015 sortis suivis", ", ".join(contract.former_qpv2015) or "aucun"),
        ("Communes signataires", ", ".join(contract.communes)),
        ("EPCI signataires", ", ".join(contract.epci)),
        ("Territoires de comparaison", refs),
    ]


def _baseline_readme(
    contract: Contract, frame: pl.DataFrame, info: dict[str, str], frozen: Path
) -> list[tuple[str, str]]:
    return [
        *_common_readme(contract, info),
        (
            "Date de référence",
            french_date(contract.baseline_date)
            if frame.is_empty()
            else french_date(frame["baseline_date"][0]),
        ),
        ("Figée le", frame["frozen_at"][0] if frame.height else ""),
        ("Fichier figé", str(frozen)),
        ("Lignes", f"{frame.height} (indicateur × territoire) ; statuts — {_counts(frame, 'status')}"),
        (
            "Lecture",
            "Une ligne par indicateur et par territoire suivi : le dernier chiffre disponible à la date de "
            "référence (période des données achevée à cette date). Un indicateur sans chiffre figure avec le "
            "statut « absent » ; un chiffre couvert par le secret statistique reste vide avec le statut "
            "« secret statistique », jamais 0 ; une somme calculée par Quartiers dont une partie est sous "
            "secret a le statut « non calculable » (la raison dit combien de parties). Chaque chiffre "
            "indique sa période, sa version géographique, "
            "sa méthode et son fichier source (avec son empreinte SHA-256).",
        ),
        (
            "Gel",
            "La situation de référence est enregistrée une fois pour toutes hors de l'entrepôt ; les "
            "actualisations des données ne la modifient pas. La régénérer pour la même date exige --force.",
        ),
        (
            "Formats",
            "Pourcentages sur 100 ; revenus en euros par unité de consommation ; effectifs en nombre.",
        ),
        ("Feuilles", "Une feuille par thème, « Sources et définitions », « Dictionnaire »."),
    ]


def _evaluation_readme(
    contract: Contract, frame: pl.DataFrame, info: dict[str, str], bdate: date, at: date
) -> list[tuple[str, str]]:
    counts = frame.group_by("comparability").len().sort("comparability").iter_rows()
    return [
        *_common_readme(contract, info),
        ("Situation de référence du", french_date(bdate)),
        ("Données actuelles au", french_date(at)),
        ("Lignes", f"{frame.height} (indicateur × QPV × territoire de comparaison)"),
        ("Comparabilité", ", ".join(f"{FLAG_FR.get(k, k)} : {n}" for k, n in counts)),
        (
            "Lecture",
            "Pour chaque indicateur, chaque QPV (et chaque QPV 2015 qu'il remplace) et chaque territoire de "
            "comparaison : la valeur de la situation de référence figée, la dernière valeur disponible, leur "
            "évolution, l'écart QPV − territoire de comparaison à l'une et l'autre date et son évolution "
            "(l'objectif de la politique de la ville est de réduire les écarts). Pour un taux, évolutions et "
            "écarts sont en points. L'écart n'est pas calculé pour un effectif.",
        ),
        (
            "Comparabilité",
            "Chaque ligne dit si l'évolution est mesurable et pourquoi : même définition de l'indicateur, "
            "même géographie (périmètres 2015 et 2024 différents), même méthode et source, "
            "millésimes comparables (INSEE : deux millésimes du recensement distants de moins "
            "de 5 ans ne se comparent pas, et deux "
            "millésimes consécutifs ne mesurent pas une évolution à l'échelle infra-communale).",
        ),
    ]
