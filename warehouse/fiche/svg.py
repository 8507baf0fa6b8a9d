"""The fiche's pictures as SVG strings: the perimeter map (drawn here from the warehouse geometries, no tile
server) and the charts (matplotlib, text kept as text so that it can be searched and selected)."""

from __future__ import annotations

import io
from html import escape
from typing import TYPE_CHECKING, Any, cast

import shapely
from shapely.geometry.base import BaseGeometry

from warehouse.fiche import fmt

if TYPE_CHECKING:
    from warehouse.fiche.model import Fiche

EP_COLOUR = {"REP+": "#b2182b", "REP": "#ef8a62", "hors EP": "#4d4d4d", "prive": "#7b3294"}
UNKNOWN_EP_COLOUR = "#a0a0a0"
EP_LEGEND = {"REP+": "école REP+", "REP": "école REP", "hors EP": "école hors EP", "prive": "école privée"}
QPV_COLOUR = "#1f4e9c"
OLD_COLOUR = "#d95f02"
NEIGHBOUR_COLOUR = "#7f8fa6"


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


def _legend_width(label: str, fs: float) -> float:
    """Width of a legend label in DejaVu Sans (about 0.62 em per character, generous)."""
    return len(label) * fs * 0.62


def map_svg(fiche: Fiche, width_px: int = 520) -> str:
    """The perimeter: 2024 outline(s) solid, 2015 outline(s) dashed, the boundaries of every commune in the
    frame (the QPV's own and their neighbours, named), schools as points; legend in a band below."""
    g = fiche.geometries
    if g.frame is None:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 400 60" class="qmap">'
            '<text x="10" y="35" font-size="14">Périmètre non disponible dans cet entrepôt</text></svg>'
        )
    shapes24 = [(c, shapely.from_wkb(w)) for c, w in g.outline_2024]
    shapes15 = [(c, shapely.from_wkb(w)) for c, w in g.outline_2015]
    points = [(s, shapely.Point(s.x, s.y)) for s in fiche.schools if s.x is not None and s.y is not None]
    minx, miny, maxx, maxy = g.frame
    w, h = maxx - minx, maxy - miny
    frame = shapely.box(minx, miny, maxx, maxy)
    stroke = max(w, h) / 300
    fs = max(w, h) / 32
    body: list[str] = [
        f"<title>Carte du périmètre {escape(fiche.code)} {escape(fiche.name)}</title>",
        f'<rect x="0" y="0" width="{w:.0f}" height="{h:.0f}" fill="#f7f7f2"/>',
    ]
    dash = f"{stroke * 6:.0f},{stroke * 2:.0f},{stroke:.0f},{stroke * 2:.0f}"
    names: list[str] = []
    for ccode, cname, wkb in g.communes:
        shape = shapely.from_wkb(wkb)
        own = ccode in g.own_communes
        boundary = shape.boundary.intersection(frame)
        if not boundary.is_empty:
            body.append(
                f'<path class="commune{" own" if own else " neighbour"}" '
                f'd="{_path(boundary, minx, maxy, closed=False)}" fill="none" '
                f'stroke="#888" stroke-width="{stroke * (1.2 if own else 1):.1f}" stroke-dasharray="{dash}">'
                f"<title>Commune {escape(ccode)} {escape(cname)}</title></path>"
            )
        inside = shape.intersection(frame)
        if not inside.is_empty and inside.area > frame.area * 0.02:
            at = inside.representative_point()
            names.append(
                f'<text class="commune-name" x="{at.x - minx:.0f}" y="{maxy - at.y:.0f}" '
                f'font-size="{fs * 0.8:.0f}" fill="#777" text-anchor="middle" font-style="italic">'
                f"{escape(cname)}</text>"
            )
    # Neighbouring QPVs first (under the fiche's own perimeters), lighter, each labelled with its code.
    for kind, ncode, wkb in g.neighbours:
        shape = shapely.from_wkb(wkb)
        body.append(
            f'<path class="neighbour-qpv" d="{_path(shape, minx, maxy)}" fill="{NEIGHBOUR_COLOUR}" '
            f'fill-opacity="0.08" stroke="{NEIGHBOUR_COLOUR}" stroke-width="{stroke:.1f}" '
            + (f'stroke-dasharray="{stroke * 4:.0f},{stroke * 3:.0f}" ' if kind == "qpv2015" else "")
            + f'fill-rule="evenodd"><title>QPV voisin {escape(ncode)} ({escape(kind[3:])})</title></path>'
        )
        inside = shape.intersection(frame)
        if not inside.is_empty:
            at = inside.representative_point()
            names.append(
                f'<text class="neighbour-code" x="{at.x - minx:.0f}" y="{maxy - at.y:.0f}" '
                f'font-size="{fs * 0.75:.0f}" fill="#5a6b85" text-anchor="middle">'
                f"{escape(ncode)} ({escape(kind[3:])})</text>"
            )
    # The QPV's own communes without a boundary in the warehouse: their name at one of their schools
    # in the frame (a point known to be in the commune), never at a guessed place.
    with_shape = {c for c, _, _ in g.communes}
    for ccode, cname, _share in fiche.communes:
        if ccode in with_shape:
            continue
        mine = [p for sc, p in points if sc.commune_code == ccode and frame.contains(p)]
        if not mine:
            continue
        centre = frame.centroid
        at = min(mine, key=lambda p: p.distance(centre))
        names.append(
            f'<text class="commune-name at-school" x="{at.x - minx:.0f}" y="{maxy - at.y + fs * 1.5:.0f}" '
            f'font-size="{fs * 0.8:.0f}" fill="#555" text-anchor="middle" font-style="italic" '
            f'stroke="#f7f7f2" stroke-width="{stroke * 2:.1f}" paint-order="stroke">'
            f"{escape(cname)}</text>"
        )
    for code, s in shapes24:
        body.append(
            f'<path class="qpv2024" d="{_path(s, minx, maxy)}" fill="{QPV_COLOUR}" fill-opacity="0.18" '
            f'stroke="{QPV_COLOUR}" stroke-width="{stroke * 2:.1f}" fill-rule="evenodd">'
            f"<title>QPV 2024 {escape(code)}</title></path>"
        )
    for code, s in shapes15:
        body.append(
            f'<path class="qpv2015" d="{_path(s, minx, maxy)}" fill="none" stroke="{OLD_COLOUR}" '
            f'stroke-width="{stroke * 1.6:.1f}" stroke-dasharray="{stroke * 5:.0f},{stroke * 3:.0f}">'
            f"<title>QPV 2015 {escape(code)}</title></path>"
        )
    body.extend(names)
    r = max(w, h) / 90
    for school, p in points:
        colour = EP_COLOUR.get(school.ep_status, UNKNOWN_EP_COLOUR)
        shape_svg = (
            f'<rect x="{p.x - minx - r:.0f}" y="{maxy - p.y - r:.0f}" '
            f'width="{2 * r:.0f}" height="{2 * r:.0f}"'
            if school.level == "collège"
            else f'<circle cx="{p.x - minx:.0f}" cy="{maxy - p.y:.0f}" r="{r:.0f}"'
        )
        body.append(
            f'{shape_svg} class="school" fill="{colour}" stroke="white" stroke-width="{stroke:.1f}">'
            f"<title>{escape(school.name)} ({escape(school.uai)}, {escape(school.ep_status)})</title>"
            + ("</rect>" if school.level == "collège" else "</circle>")
        )
        if school.number is not None:  # its number in the fiche's list of schools
            body.append(
                f'<text class="school-number" x="{p.x - minx + r * 1.3:.0f}" y="{maxy - p.y - r * 0.6:.0f}" '
                f'font-size="{fs * 0.8:.0f}" font-weight="bold" fill="#222" stroke="#f7f7f2" '
                f'stroke-width="{stroke * 1.5:.1f}" paint-order="stroke">{school.number}</text>'
            )
    # Scale bar (a round length about a fifth of the width).
    target = w / 5
    step = max(s for s in (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000) if s <= max(target, 50))
    y0 = h - fs
    body.append(
        f'<rect x="{fs * 0.5:.0f}" y="{y0 - fs * 1.5:.0f}" width="{step + fs:.0f}" height="{fs * 2:.0f}" '
        f'fill="#f7f7f2" fill-opacity="0.8"/>'
        f'<line x1="{fs:.0f}" y1="{y0:.0f}" x2="{fs + step:.0f}" y2="{y0:.0f}" stroke="black" '
        f'stroke-width="{stroke * 2:.1f}"/><text x="{fs:.0f}" y="{y0 - fs * 0.4:.0f}" font-size="{fs:.0f}">'
        f"{escape(fmt.distance_fr(step))}</text>"
    )

    # Legend in a band below the map (never over the perimeter), laid out item after item and wrapped
    # before the right edge, so that no label is cut.
    def line(extra: str) -> str:
        return f"<line {extra}"

    def dot(colour: str, square: bool = False) -> str:
        return f'<rect fill="{colour}"' if square else f'<circle fill="{colour}"'

    items: list[tuple[str, str]] = [
        (line(f'stroke="{QPV_COLOUR}" stroke-width="{stroke * 2:.1f}"'), "périmètre 2024"),
        (
            line(
                f'stroke="{OLD_COLOUR}" stroke-width="{stroke * 1.6:.1f}" '
                f'stroke-dasharray="{stroke * 5:.0f},{stroke * 3:.0f}"'
            ),
            "périmètre 2015",
        ),
        (line(f'stroke="#888" stroke-width="{stroke:.1f}" stroke-dasharray="{dash}"'), "limite communale"),
        *(
            [(line(f'stroke="{NEIGHBOUR_COLOUR}" stroke-width="{stroke * 3:.1f}"'), "QPV voisin (code)")]
            if g.neighbours
            else []
        ),
        # every symbol the map can draw: the four EP colours, the unknown one when used, the square
        *[(dot(EP_COLOUR[ep]), label) for ep, label in EP_LEGEND.items()],
        *(
            [(dot(UNKNOWN_EP_COLOUR), "école, EP inconnue")]
            if any(sc.ep_status not in EP_COLOUR for sc, _ in points)
            else []
        ),
        (dot("#4d4d4d", square=True), "collège (carré)"),
    ]
    legend: list[str] = []
    x, y = fs * 0.5, h + fs * 1.3
    for symbol, label in items:
        width = fs * 2.4 + _legend_width(label, fs) + fs
        if x > fs and x + width > w:
            x, y = fs * 0.5, y + fs * 1.4
        cy = y - fs * 0.35
        if symbol.startswith("<line"):
            legend.append(f'{symbol} x1="{x:.0f}" y1="{cy:.0f}" x2="{x + fs * 1.8:.0f}" y2="{cy:.0f}"/>')
        elif symbol.startswith("<rect"):
            legend.append(
                f'{symbol} x="{x + fs * 0.9 - r:.0f}" y="{cy - r:.0f}" '
                f'width="{2 * r:.0f}" height="{2 * r:.0f}"/>'
            )
        else:
            legend.append(f'{symbol} cx="{x + fs * 0.9:.0f}" cy="{cy:.0f}" r="{r:.0f}"/>')
        legend.append(f'<text x="{x + fs * 2.2:.0f}" y="{y:.0f}" font-size="{fs:.0f}">{escape(label)}</text>')
        x += width
    total = y + fs * 0.6
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="qmap" viewBox="0 0 {w:.0f} {total:.0f}" '
        f'width="{width_px}" height="{width_px * total / w:.0f}" font-family="DejaVu Sans, sans-serif">'
        + "".join(body)
        + "".join(legend)
        + "</svg>"
    )


def _figure_svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "quartiers",
    "font.family": "DejaVu Sans",
    "font.size": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": None,  # set below: the same colours in every chart
}
PALETTE = ["#1f4e9c", "#d95f02", "#7570b3", "#66a61e", "#e7298a", "#a6761d", "#666666", "#1b9e77"]


def _figure(width_in: float, height_in: float) -> Any:
    """A bare matplotlib Figure (no pyplot state machine: nothing to close, quicker)."""
    import matplotlib
    from cycler import cycler
    from matplotlib.figure import Figure

    rc: dict[str, Any] = {**RC, "axes.prop_cycle": cycler(color=PALETTE)}
    cast(Any, matplotlib.rcParams).update(rc)
    return Figure(figsize=(width_in, height_in))


def _fr(value: float, _pos: object = None) -> str:
    return fmt.number_fr(value, 0)


CHART_WIDTH_IN = 4.3  # two charts side by side on an A4 page


def ages_svg(ages: dict[str, dict[str, float]], labels: dict[str, str]) -> str | None:
    """Grouped bars: each age band (share of the population) for the QPV and its references."""
    if not ages:
        return None
    territories = list(dict.fromkeys(t for v in ages.values() for t in v))
    bands = list(ages)
    # Heights in inches: the bars, then the axis numbers, then the legend in a band of its own below them
    # (one line per two territories), so that the legend is never printed over the axis.
    bars_in = 0.2 + (0.1 if len(territories) <= 3 else 0.06) * len(bands) * max(2, len(territories))
    axis_in = 0.28
    legend_in = 0.05 + 0.13 * ((len(territories) + 1) // 2)
    height = bars_in + axis_in + legend_in
    fig = _figure(CHART_WIDTH_IN, height)
    ax = fig.add_subplot()
    bar = 0.8 / max(1, len(territories))
    for j, t in enumerate(territories):
        ys = [i + j * bar for i in range(len(bands))]
        vals = [ages[b].get(t, float("nan")) for b in bands]
        bars = ax.barh(ys, vals, height=bar * 0.92, label=t)
        if len(territories) <= 3:  # more bars are too thin for their value (the table has every value)
            ax.bar_label(
                bars,
                labels=[fmt.value_fr(v, "percent") if v == v else "" for v in vals],
                fontsize=5,
                padding=1,
            )
    ax.set_yticks(
        [i + 0.4 - bar / 2 for i in range(len(bands))], [_wrap(labels.get(b, b), 26) for b in bands]
    )
    ax.invert_yaxis()
    ax.margins(x=0.12)  # room for the value printed after the longest bar
    # The unit is in the chart's title; the legend goes in the band under the axis numbers.
    fig.legend(
        *ax.get_legend_handles_labels(), fontsize=5.5, frameon=False, loc="lower left",
        bbox_to_anchor=(0.02, 0.0), ncol=2,
    )  # fmt: skip
    fig.subplots_adjust(left=0.36, right=0.95, top=1 - 0.04 / height, bottom=(axis_in + legend_in) / height)
    return _figure_svg(fig)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


DECILE_LABEL = {
    "filo_disp_d1": "D1",
    "filo_disp_q1": "Q1",
    "filo_disp_mediane": "médiane",
    "filo_disp_q3": "Q3",
    "filo_disp_d9": "D9",
}


def deciles_svg(deciles: dict[str, dict[str, float]]) -> str | None:
    """Income distribution (revenu disponible par UC): D1, Q1, median, Q3, D9 per territory, as dots; the
    points are named once, on the first line that has them all."""
    if not deciles or not any(len(v) >= 2 for v in deciles.values()):
        return None
    fig = _figure(CHART_WIDTH_IN, 0.55 + 0.24 * len(deciles))
    ax = fig.add_subplot()
    named = False
    for i, vals in enumerate(deciles.values()):
        xs = [vals[k] for k in DECILE_LABEL if k in vals]
        ax.plot([min(xs), max(xs)], [i, i], color="#999", lw=1, zorder=1)
        keys = [k for k in DECILE_LABEL if k in vals]
        ax.scatter(
            [vals[k] for k in keys],
            [i] * len(keys),
            s=[30 if k == "filo_disp_mediane" else 12 for k in keys],
            c=["#b2182b" if k == "filo_disp_mediane" else "#1f4e9c" for k in keys],
            zorder=2,
        )
        if not named and len(keys) == len(DECILE_LABEL):
            named = True
            for k in keys:
                ax.annotate(
                    DECILE_LABEL[k],
                    (vals[k], i),
                    textcoords="offset points",
                    xytext=(0, 4),
                    ha="center",
                    fontsize=5,
                )
    ax.set_yticks(range(len(deciles)), [_wrap(t, 24) for t in deciles])
    ax.set_ylim(-0.7, len(deciles) - 0.4)
    ax.invert_yaxis()
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(_fr)
    ax.set_xlabel("revenu disponible par UC (€ par an)")
    fig.subplots_adjust(left=0.33, right=0.97, top=0.97, bottom=0.55 / (0.55 + 0.24 * len(deciles)) + 0.02)
    return _figure_svg(fig)


def series_svg(series: dict[str, list[tuple[str, float | None]]]) -> str | None:
    """Job seekers (ABC) per quarter; each geography is its own line, never joined to the other."""
    if not series:
        return None
    periods = sorted({p for pts in series.values() for p, _ in pts})
    index = {p: i for i, p in enumerate(periods)}
    fig = _figure(CHART_WIDTH_IN, 1.6)
    ax = fig.add_subplot()
    for name, pts in series.items():
        xs = [index[p] for p, _ in pts]
        ys = [v if v is not None else float("nan") for _, v in pts]
        ax.plot(xs, ys, marker="o", ms=2, lw=1.1, ls="-" if "2024" in name else "--", label=name)
    step = max(1, len(periods) // 5)
    ax.set_xticks(range(0, len(periods), step), [fmt.period_fr(p) for p in periods[::step]], fontsize=5.5)
    ax.yaxis.set_major_formatter(_fr)
    ax.set_ylabel("demandeurs ABC")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=5, frameon=False, loc="lower left")
    fig.subplots_adjust(left=0.14, right=0.98, top=0.97, bottom=0.14)
    return _figure_svg(fig)
