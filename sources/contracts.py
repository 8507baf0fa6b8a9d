"""Contracts (*contrats de ville 2024-2030*): one TOML file per contract under ``contracts/``.

A contract names its signatories' territory (communes, EPCI), its QPVs in the 2024 geography with the
2015 QPVs they replace, the 2015 QPVs it still follows although they left the geography, its reference
territories, the indicators it follows (default: the whole catalog) and its baseline date.

`load_contract` reads a file and checks its structure (here, at the edge: nothing else reads TOML);
models/contracts.py checks every code against the warehouse's tables.

Example::

    contract = load_contract("sample")
    check_contract_territories(contract, territory_frame)
    contract.territory_rows()  # role, qpv_code, territory_kind, territory_code
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from sources._errors import QuartiersError
from sources.territory_codes import QPV2015_RE, QPV2024_RE

CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"

# A contract name becomes a file and folder name: lower-case letters, digits and inner hyphens only.
CONTRACT_NAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
UAI_RE = re.compile(r"^\d{7}[A-Z]$")
COMMUNE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
EPCI_RE = re.compile(r"^\d{9}$")
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,12}$")
INDICATOR_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

# Reference territory kinds a contract may name, in the order exports show them.
REFERENCE_KINDS = ("commune", "epci", "unite_urbaine", "departement", "region", "france", "ensemble_qpv")

ROLES = ("qpv", "qpv2015", "reference")


class ContractError(QuartiersError):
    """A contract file is absent, malformed, or names a territory the warehouse does not hold."""


@dataclass(frozen=True)
class ContractQpv:
    code: str  # 2024 code
    replaces: tuple[str, ...] = ()  # 2015 codes whose perimeter it takes over (wholly or partly)
    name: str | None = None


@dataclass(frozen=True)
class CollegeSecteur:
    """A collège the pupils of these QPVs attend (collège de secteur), whatever its distance."""

    uai: str
    qpvs: tuple[str, ...]


@dataclass(frozen=True)
class TerritoryRef:
    kind: str
    code: str


@dataclass(frozen=True)
class Contract:
    name: str
    title: str
    baseline_date: date
    communes: tuple[str, ...]
    epci: tuple[str, ...]
    qpvs: tuple[ContractQpv, ...]
    former_qpv2015: tuple[str, ...] = ()  # 2015 QPVs that left the geography but are still followed
    references: tuple[TerritoryRef, ...] = ()
    indicators: tuple[str, ...] | None = None  # None = the whole catalog
    key_indicators: tuple[str, ...] = ()
    colleges_secteur: tuple[CollegeSecteur, ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def qpv2024_codes(self) -> list[str]:
        return [q.code for q in self.qpvs]

    @property
    def qpv2015_codes(self) -> list[str]:
        seen: dict[str, None] = {}
        for q in self.qpvs:
            for c in q.replaces:
                seen[c] = None
        for c in self.former_qpv2015:
            seen[c] = None
        return list(seen)

    def qpv_rows(self) -> pl.DataFrame:
        """The contract's 2024 QPVs and the 2015 QPVs it declares they replace (CONTRACT_QPV_SCHEMA of
        models/predecessors.py): one row per pair, code_2015 NULL for a QPV declaring none."""
        rows = [
            {"contract": self.name, "code_2024": q.code, "name_2024": q.name, "code_2015": c}
            for q in self.qpvs
            for c in (q.replaces or (None,))
        ]
        schema = {k: pl.String() for k in ("contract", "code_2024", "name_2024", "code_2015")}
        return pl.DataFrame(rows, schema=schema)

    def territory_rows(self) -> pl.DataFrame:
        """Every territory the contract follows: role (qpv, qpv2015, reference), the 2024 QPV a 2015
        QPV is attached to (NULL for references and for 2015 QPVs that left the geography)."""
        rows: list[dict[str, str | None]] = []
        for q in self.qpvs:
            rows.append(
                {"role": "qpv", "qpv_code": q.code, "territory_kind": "qpv2024", "territory_code": q.code}
            )
        for q in self.qpvs:
            for c in q.replaces:
                rows.append(
                    {"role": "qpv2015", "qpv_code": q.code, "territory_kind": "qpv2015", "territory_code": c}
                )
        for c in self.former_qpv2015:
            rows.append(
                {"role": "qpv2015", "qpv_code": None, "territory_kind": "qpv2015", "territory_code": c}
            )
        for r in self.references:
            rows.append(
                {"role": "reference", "qpv_code": None, "territory_kind": r.kind, "territory_code": r.code}
            )
        schema = {k: pl.String() for k in ("role", "qpv_code", "territory_kind", "territory_code")}
        return pl.DataFrame(rows, schema=schema)


def validate_contract_name(name: str) -> str:
    """The name, if it is safe to use in a path; else a ContractError."""
    if not CONTRACT_NAME_RE.match(name):
        raise ContractError(
            f"{name!r} is not a contract name: lower-case letters, digits and inner hyphens, "
            "at most 64 characters (e.g. 'sample', 'pays-de-saint-omer')"
        )
    return name


def available_contracts(directory: Path | None = None) -> list[str]:
    d = directory or CONTRACTS_DIR
    return sorted(p.stem for p in d.glob("*.toml") if CONTRACT_NAME_RE.match(p.stem))


def contract_path(name: str, directory: Path | None = None) -> Path:
    return (directory or CONTRACTS_DIR) / f"{validate_contract_name(name)}.toml"


def load_contract(name: str, *, directory: Path | None = None) -> Contract:
    """Read and structurally validate ``contracts/<name>.toml``."""
    path = contract_path(name, directory)
    if not path.exists():
        known = available_contracts(directory)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known contracts: {', '.join(known)}"
        raise ContractError(f"no contract file {path}{hint}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"{path}: not valid TOML: {exc}") from exc
    return parse_contract(data, path=path, expected_name=name)


def _strings(
    data: dict[str, object], key: str, where: str, pattern: re.Pattern[str] | None
) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ContractError(f"{where}: `{key}` must be a list of strings")
    if pattern is not None:
        bad = [v for v in value if not pattern.match(v)]
        if bad:
            raise ContractError(f"{where}: `{key}` holds malformed code(s) {bad}")
    dup = sorted({v for v in value if value.count(v) > 1})
    if dup:
        raise ContractError(f"{where}: `{key}` lists {dup} twice")
    return tuple(value)


def parse_contract(
    data: dict[str, object], *, path: Path | None = None, expected_name: str | None = None
) -> Contract:
    where = str(path) if path else "contract"
    allowed = {
        "name", "title", "baseline_date", "signatories", "qpv", "former_qpv2015", "reference",
        "indicators", "key_indicators", "college_secteur",
    }  # fmt: skip
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    name = data.get("name")
    if not isinstance(name, str):
        raise ContractError(f"{where}: `name` is required")
    validate_contract_name(name)
    if expected_name is not None and name != expected_name:
        raise ContractError(f"{where}: `name` is {name!r} but the file is named {expected_name!r}.toml")
    title = data.get("title", name)
    if not isinstance(title, str):
        raise ContractError(f"{where}: `title` must be a string")
    bdate = data.get("baseline_date")
    if not isinstance(bdate, date):
        raise ContractError(f"{where}: `baseline_date` is required, as a TOML date such as 2024-01-01")
    sig = data.get("signatories", {})
    if not isinstance(sig, dict):
        raise ContractError(f"{where}: [signatories] must be a table")
    communes = _strings(sig, "communes", f"{where} [signatories]", COMMUNE_RE)
    epci = _strings(sig, "epci", f"{where} [signatories]", EPCI_RE)
    if not communes:
        raise ContractError(f"{where}: [signatories] must list at least one commune")
    raw_qpvs = data.get("qpv", [])
    if not isinstance(raw_qpvs, list) or not raw_qpvs:
        raise ContractError(f"{where}: at least one [[qpv]] table is required")
    qpvs: list[ContractQpv] = []
    for i, q in enumerate(raw_qpvs, start=1):
        w = f"{where} [[qpv]] #{i}"
        if not isinstance(q, dict):
            raise ContractError(f"{w}: must be a table")
        code = q.get("code")
        if not isinstance(code, str) or not QPV2024_RE.match(code):
            raise ContractError(
                f"{w}: `code` {code!r} is not a QPV 2024 code (QN + 7 characters, e.g. QN06101M)"
            )
        qname = q.get("name")
        qpvs.append(
            ContractQpv(
                code, _strings(q, "replaces", w, QPV2015_RE), qname if isinstance(qname, str) else None
            )
        )
    codes = [q.code for q in qpvs]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ContractError(f"{where}: QPV {dup} listed twice")
    former = _strings(data, "former_qpv2015", where, QPV2015_RE)
    # A 2015 QPV split between two 2024 QPVs is listed under both; it cannot also be "former".
    clash = sorted(set(former) & {c for q in qpvs for c in q.replaces})
    if clash:
        raise ContractError(f"{where}: {clash} are both replaced by a 2024 QPV and listed as former")
    ref = data.get("reference", {})
    if not isinstance(ref, dict):
        raise ContractError(f"{where}: [reference] must be a table of kind = [codes]")
    bad_kinds = sorted(set(ref) - set(REFERENCE_KINDS))
    if bad_kinds:
        raise ContractError(
            f"{where}: unknown reference kind(s) {bad_kinds}; allowed: {list(REFERENCE_KINDS)}"
        )
    references: list[TerritoryRef] = []
    for kind in REFERENCE_KINDS:
        if kind in ref:
            pattern = {"commune": COMMUNE_RE, "epci": EPCI_RE}.get(kind, CODE_RE)
            references += [
                TerritoryRef(kind, c) for c in _strings(ref, kind, f"{where} [reference]", pattern)
            ]
    if not references:
        # Default: the signatories' communes and EPCI.
        references = [TerritoryRef("commune", c) for c in communes] + [TerritoryRef("epci", c) for c in epci]
    indicators = None
    if "indicators" in data:
        indicators = _strings(data, "indicators", where, INDICATOR_RE) or None
    key = _strings(data, "key_indicators", where, INDICATOR_RE)
    colleges = _colleges_secteur(data.get("college_secteur", []), where, set(codes))
    return Contract(
        name=name,
        title=title,
        baseline_date=bdate,
        communes=communes,
        epci=epci,
        qpvs=tuple(qpvs),
        former_qpv2015=former,
        references=tuple(references),
        indicators=indicators,
        key_indicators=key,
        colleges_secteur=colleges,
        path=path,
    )


def _colleges_secteur(raw: object, where: str, qpvs: set[str]) -> tuple[CollegeSecteur, ...]:
    """``[[college_secteur]]`` tables: a UAI and the contract's 2024 QPVs whose pupils it takes."""
    if not isinstance(raw, list):
        raise ContractError(f"{where}: `college_secteur` must be a list of [[college_secteur]] tables")
    out: list[CollegeSecteur] = []
    for i, item in enumerate(raw, start=1):
        w = f"{where} [[college_secteur]] #{i}"
        if not isinstance(item, dict) or set(item) - {"uai", "qpv", "name"}:
            raise ContractError(f"{w}: a table with `uai` and `qpv` (and an optional `name`)")
        uai = item.get("uai")
        if not isinstance(uai, str) or not UAI_RE.match(uai):
            raise ContractError(f"{w}: `uai` {uai!r} is not a UAI (7 digits and a letter, e.g. 0622093N)")
        codes = _strings(item, "qpv", w, QPV2024_RE)
        if not codes:
            raise ContractError(f"{w}: `qpv` must name at least one of the contract's 2024 QPVs")
        strangers = sorted(set(codes) - qpvs)
        if strangers:
            raise ContractError(f"{w}: {strangers} are not QPVs of this contract ({sorted(qpvs)})")
        out.append(CollegeSecteur(uai, codes))
    return tuple(out)
