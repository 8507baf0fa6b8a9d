"""The fiche's pictures as SVG strings: the perimeter map (drawn here from the warehouse geometries, no tile
server) and the charts (matplotlib, text kept as text so that it can be searched and selected)."""

from __future__ import annotations

import io
from html import escape
from typing import TYPE_CHECKING

import shapely
from shapely.geometry.base import BaseGeometry

from warehouse.fiche import fmt

if TYPE_CHECKING:
    from warehouse.fiche.data import Fiche

EP_COLOUR = {"REP+": "#b2182b", "REP": "#ef8a62", "hors EP": "#4d4d4d", "prive": "#7b3294"}
QPV_COLOUR = "#1f4e9c"
OLD_COLOUR = "#d95f02"


def _rings(geom: BaseGeometry) -> list[list[tuple[float, float]]]:
    polys = list(getattr(geom, "geoms", [geom]))
    rings: list[list[tuple[float, float]]] = []
    for p in polys:
        if p.geom_type == "Polygon":
            rings.append(list(p.exterior.coords))
            rings.extend(list(r.coords) for r in p.interiors)
        elif p.geom_type in ("LineString", "LinearRing"):
            rings.append(list(p.coords))
        elif p.geom_type in ("MultiPolygon", "GeometryCollection", "MultiLineString"):
            rings.extend(_rings(p))
    return rings


def _path(geom: BaseGeometry, x0: float, y1: float, closed: bool = True) -> str:
    parts = []
    for ring in _rings(geom):
        pts = " ".join(f"{x - x0:.0f},{y1 - y:.0f}" for x, y in ring)
        parts.append(f"M{pts}{'Z' if closed else ''}")
    return " ".join(parts)


def map_svg(fiche: Fiche, width_px: int = 520) -> str:
    """The perimeter: 2024 outline(s) solid, 2015 outline(s) dashed, commune boundaries, schools as points."""
    g = fiche.geometries
    shapes24 = [(c, shapely.from_wkb(w)) for c, w in g.outline_2024]
    shapes15 = [(c, shapely.from_wkb(w)) for c, w in g.outline_2015]
    points = [(s, shapely.Point(s.x, s.y)) for s in fiche.schools if s.x is not None and s.y is not None]
    parts = [s for _, s in shapes24 + shapes15] + [p for _, p in points]
    if not parts:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 400 60" class="qmap">'
            '<text x="10" y="35" font-size="14">Périmètre non disponible dans cet entrepôt</text></svg>'
        )
    minx, miny, maxx, maxy = shapely.union_all(parts).bounds
    pad = max(maxx - minx, maxy - miny) * 0.12 + 50
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    w, h = maxx - minx, maxy - miny
    frame = shapely.box(minx, miny, maxx, maxy)
    stroke = max(w, h) / 300
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="qmap" viewBox="0 0 {w:.0f} {h:.0f}" '
        f'width="{width_px}" height="{width_px * h / w:.0f}" font-family="DejaVu Sans, sans-serif">',
        f"<title>Carte du périmètre {escape(fiche.code)} {escape(fiche.name)}</title>",
        f'<rect x="0" y="0" width="{w:.0f}" height="{h:.0f}" fill="#f7f7f2"/>',
    ]
    for ccode, cname, wkb in g.communes:
        boundary = shapely.from_wkb(wkb).boundary.intersection(frame)
        if not boundary.is_empty:
            out.append(
                f'<path class="commune" d="{_path(boundary, minx, maxy, closed=False)}" fill="none" '
                f'stroke="#888" stroke-width="{stroke:.1f}" '
                f'stroke-dasharray="{stroke * 6:.0f},{stroke * 2:.0f},{stroke:.0f},{stroke * 2:.0f}">'
                f"<title>Commune {escape(ccode)} {escape(cname)}</title></path>"
            )
    for code, s in shapes24:
        out.append(
            f'<path class="qpv2024" d="{_path(s, minx, maxy)}" fill="{QPV_COLOUR}" fill-opacity="0.18" '
            f'stroke="{QPV_COLOUR}" stroke-width="{stroke * 2:.1f}" fill-rule="evenodd">'
            f"<title>QPV 2024 {escape(code)}</title></path>"
        )
    for code, s in shapes15:
        out.append(
            f'<path class="qpv2015" d="{_path(s, minx, maxy)}" fill="none" stroke="{OLD_COLOUR}" '
            f'stroke-width="{stroke * 1.6:.1f}" stroke-dasharray="{stroke * 5:.0f},{stroke * 3:.0f}">'
            f"<title>QPV 2015 {escape(code)}</title></path>"
        )
    r = max(w, h) / 90
    for school, p in points:
        colour = EP_COLOUR.get(school.ep_status, "#4d4d4d")
        shape = (
            f'<rect x="{p.x - minx - r:.0f}" y="{maxy - p.y - r:.0f}" '
            f'width="{2 * r:.0f}" height="{2 * r:.0f}"'
            if school.level == "collège"
            else f'<circle cx="{p.x - minx:.0f}" cy="{maxy - p.y:.0f}" r="{r:.0f}"'
        )
        out.append(
            f'{shape} class="school" fill="{colour}" stroke="white" stroke-width="{stroke:.1f}">'
            f"<title>{escape(school.name)} ({escape(school.uai)}, {escape(school.ep_status)})</title>"
            + ("</rect>" if school.level == "collège" else "</circle>")
        )
    # Scale bar (a round length about a fifth of the width) and legend.
    target = w / 5
    step = max(s for s in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000) if s <= max(target, 50))
    fs = max(w, h) / 32
    y0 = h - fs
    out.append(
        f'<line x1="{fs:.0f}" y1="{y0:.0f}" x2="{fs + step:.0f}" y2="{y0:.0f}" stroke="black" '
        f'stroke-width="{stroke * 2:.1f}"/><text x="{fs:.0f}" y="{y0 - fs * 0.4:.0f}" font-size="{fs:.0f}">'
        f"{escape(fmt.distance_fr(step))}</text>"
    )
    # Legend in a band below the map, so that it never hides the perimeter.
    items = [
        (f'<line stroke="{QPV_COLOUR}" stroke-width="{stroke * 2:.1f}"', "périmètre 2024"),
        (
            f'<line stroke="{OLD_COLOUR}" stroke-width="{stroke * 1.6:.1f}" '
            f'stroke-dasharray="{stroke * 5:.0f},{stroke * 3:.0f}"',
            "périmètre 2015",
        ),
        ('<line stroke="#888" stroke-width="2"', "limite communale"),
    ]
    band = fs * 3.2
    y1 = h + fs * 1.2
    col = w / 3
    for i, (line, label) in enumerate(items):
        x = i * col + fs * 0.5
        out.append(
            f'{line} x1="{x:.0f}" y1="{y1 - fs * 0.3:.0f}" x2="{x + fs * 1.8:.0f}" y2="{y1 - fs * 0.3:.0f}"/>'
        )
        out.append(f'<text x="{x + fs * 2.2:.0f}" y="{y1:.0f}" font-size="{fs:.0f}">{label}</text>')
    y2 = y1 + fs * 1.4
    for i, ep in enumerate(("REP+", "REP", "hors EP")):
        x = i * col + fs * 0.5
        out.append(
            f'<circle cx="{x + fs * 0.9:.0f}" cy="{y2 - fs * 0.35:.0f}" r="{r:.0f}" fill="{EP_COLOUR[ep]}"/>'
        )
        out.append(f'<text x="{x + fs * 2.2:.0f}" y="{y2:.0f}" font-size="{fs:.0f}">école {ep}</text>')
    out[0] = (
        out[0]
        .replace(f'viewBox="0 0 {w:.0f} {h:.0f}"', f'viewBox="0 0 {w:.0f} {h + band:.0f}"')
        .replace(f'height="{width_px * h / w:.0f}"', f'height="{width_px * (h + band) / w:.0f}"')
    )
    out.append("</svg>")
    return "".join(out)


def _figure_svg(fig: object) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _plt() -> object:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "quartiers",
            "font.family": "DejaVu Sans",
            "font.size": 8,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _fr(value: float, _pos: object = None) -> str:
    return fmt.number_fr(value, 0)


def ages_svg(ages: dict[str, dict[str, float]], labels: dict[str, str]) -> str | None:
    """Grouped bars: each age band (share of the population) for the QPV and its references."""
    if not ages:
        return None
    plt = _plt()
    territories = list(dict.fromkeys(t for v in ages.values() for t in v))
    bands = list(ages)
    fig, ax = plt.subplots(figsize=(6.2, 0.55 + 0.42 * len(bands) * max(1, len(territories)) / 2))  # type: ignore[attr-defined]
    height = 0.8 / max(1, len(territories))
    for j, t in enumerate(territories):
        ys = [i + j * height for i in range(len(bands))]
        vals = [ages[b].get(t, float("nan")) for b in bands]
        bars = ax.barh(ys, vals, height=height * 0.92, label=t)
        ax.bar_label(
            bars, labels=[fmt.value_fr(v, "percent") if v == v else "" for v in vals], fontsize=7, padding=2
        )
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(bands))], [labels.get(b, b) for b in bands])
    ax.invert_yaxis()
    ax.set_xlabel("% de la population")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.subplots_adjust(left=0.36, right=0.97, top=0.97, bottom=0.18)
    return _figure_svg(fig)


DECILE_LABEL = {
    "filo_disp_d1": "D1",
    "filo_disp_q1": "Q1",
    "filo_disp_mediane": "médiane",
    "filo_disp_q3": "Q3",
    "filo_disp_d9": "D9",
}


def deciles_svg(deciles: dict[str, dict[str, float]]) -> str | None:
    """Income distribution (revenu disponible par UC): D1, Q1, median, Q3, D9 per territory, as dots."""
    if not deciles or not any(len(v) >= 2 for v in deciles.values()):
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.2, 0.5 + 0.45 * len(deciles)))  # type: ignore[attr-defined]
    for i, vals in enumerate(deciles.values()):
        xs = [vals[k] for k in DECILE_LABEL if k in vals]
        ax.plot([min(xs), max(xs)], [i, i], color="#999", lw=1, zorder=1)
        for k, short in DECILE_LABEL.items():
            if k in vals:
                big = k == "filo_disp_mediane"
                ax.scatter(
                    [vals[k]], [i], s=40 if big else 18, color="#b2182b" if big else "#1f4e9c", zorder=2
                )
                ax.annotate(
                    short, (vals[k], i), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=6
                )
    ax.set_yticks(range(len(deciles)), list(deciles))
    ax.set_ylim(-0.6, len(deciles) - 0.3)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_fr)
    ax.set_xlabel("revenu disponible par unité de consommation (€ par an)")
    fig.subplots_adjust(left=0.3, right=0.97, top=0.95, bottom=0.25)
    return _figure_svg(fig)


def series_svg(series: dict[str, list[tuple[str, float | None]]]) -> str | None:
    """Job seekers (ABC) per quarter; each geography is its own line, never joined to the other."""
    if not series:
        return None
    plt = _plt()
    periods = sorted({p for pts in series.values() for p, _ in pts})
    index = {p: i for i, p in enumerate(periods)}
    fig, ax = plt.subplots(figsize=(6.2, 2.3))  # type: ignore[attr-defined]
    for name, pts in series.items():
        xs = [index[p] for p, _ in pts]
        ys = [v if v is not None else float("nan") for _, v in pts]
        ax.plot(xs, ys, marker="o", ms=3, lw=1.4, ls="-" if "2024" in name else "--", label=name)
    step = max(1, len(periods) // 8)
    ax.set_xticks(range(0, len(periods), step), [fmt.period_fr(p) for p in periods[::step]], fontsize=7)
    ax.yaxis.set_major_formatter(_fr)
    ax.set_ylabel("demandeurs d'emploi ABC")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    fig.subplots_adjust(left=0.12, right=0.98, top=0.95, bottom=0.14)
    return _figure_svg(fig)
