"""`quartiers site` in a real browser: headless Chromium (Debian packages `chromium` and `chromium-driver`,
installed here by a session fixture when absent and the user is root) driven by Selenium. It loads the
index over HTTP on 127.0.0.1, searches a QPV, opens its fiche, takes a screenshot, and checks what a
person sees: the title, key figures, the map's SVG, and no console errors."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from tests.faults.http_server import serving
from tests.integration.fiche_sample import sample_home
from warehouse.paths import warehouse_path
from warehouse.store import connect_readonly


def _one(con: Any, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    row = con.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return tuple(row)


CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
APT_PACKAGES = ["chromium", "chromium-driver"]
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,2000",
]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """/usr/bin/chromium and its driver; installed with apt-get when absent and we are root, else skip."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.skip(
                "headless Chromium absent (/usr/bin/chromium) and not root: "
                "run `apt-get install -y chromium chromium-driver` as root"
            )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES]
        if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=False)
            done = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                pytest.skip(f"could not install {APT_PACKAGES} with apt-get: {done.stderr[-500:]}")
    return CHROMIUM


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    home = sample_home(tmp_path_factory)
    out = tmp_path_factory.mktemp("site")
    result = CliRunner().invoke(app, ["site", "--out", str(out), "--home", str(home)])
    assert result.exit_code == 0, result.output
    return home, out


@pytest.fixture(scope="module")
def server(site: tuple[Path, Path]) -> Iterator[str]:
    class QuietHandler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(site[1]))

    class Quiet(ThreadingHTTPServer):
        daemon_threads = True

    with serving(Quiet(("127.0.0.1", 0), handler)) as base:
        yield base


@pytest.fixture
def browser(chromium: Path, tmp_path: Path) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for a driver online
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def test_search_open_fiche_and_see_it(
    site: tuple[Path, Path], server: str, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from selenium.webdriver.common.by import By

    home, _ = site
    con = connect_readonly(warehouse_path(home), spatial=False)
    code = "QN09901I"
    name = _one(con, "SELECT name FROM territory WHERE kind = 'qpv2024' AND code = ?", [code])[0]
    rate = _one(
        con,
        "SELECT value FROM v_observation_best WHERE indicator_id = 'taux_pauvrete_60' "
        "AND territory_kind = 'qpv2024' AND territory_code = ? AND status = 'published' "
        "ORDER BY period DESC LIMIT 1",
        [code],
    )[0]
    n_qpv = _one(con, "SELECT count(*) FROM territory WHERE kind IN ('qpv2015', 'qpv2024')")[0]

    browser.get(f"{server}/index.html")
    rows = browser.find_elements(By.CSS_SELECTOR, "#qpvs tbody tr")
    assert len(rows) == n_qpv
    assert "Données synthétiques" in browser.find_element(By.CSS_SELECTOR, ".banner").text

    # Search by name without its accent-free spelling mattering, then by code.
    search = browser.find_element(By.ID, "search")
    search.send_keys("tilleuls")
    visible = [r for r in rows if r.is_displayed()]
    assert {r.find_element(By.CSS_SELECTOR, "td").text for r in visible} == {"QP099001", code}
    search.clear()
    search.send_keys(code.lower())
    visible = [r for r in rows if r.is_displayed()]
    assert [r.find_element(By.CSS_SELECTOR, "td").text for r in visible] == [code]

    visible[0].find_element(By.LINK_TEXT, name).click()
    assert browser.title.startswith(f"{name} ({code})")
    assert browser.find_element(By.ID, "title").text == f"{name} ({code})"
    shot = tmp_path_factory.mktemp("screenshots") / f"{code}.png"
    browser.save_screenshot(str(shot))
    print(f"\nscreenshot of the fiche {code}: {shot}")
    assert shot.stat().st_size > 10_000

    # Key figure as a person reads it, with the narrow no-break space before %.
    expected = f"{rate:.1f}".replace(".", ",") + "\u202f%"
    row = browser.find_element(By.CSS_SELECTOR, 'tr[data-indicator="taux_pauvrete_60"]')
    assert expected in row.text.replace(" ", "\u202f") or expected in row.get_attribute("textContent")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "secret statistique" in body or "Sources" in body or "Méthode et sources" in body
    # The map is an inline SVG with the 2024 outline and at least one school.
    assert browser.execute_script("return document.querySelectorAll('svg.qmap path.qpv2024').length") >= 1
    assert browser.execute_script("return document.querySelectorAll('svg.qmap .school').length") >= 1
    map_box = browser.find_element(By.CSS_SELECTOR, "svg.qmap").rect
    assert map_box["width"] > 200 and map_box["height"] > 200
    # The PDF link works.
    href = browser.find_element(By.LINK_TEXT, "Fiche PDF").get_attribute("href")
    with urllib.request.urlopen(href, timeout=30) as resp:
        assert resp.read().startswith(b"%PDF-")
    # No console errors on either page.
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, errors
