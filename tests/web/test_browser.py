"""The pages in a real browser: Debian's Chromium, driven by Playwright, against the live
server. What only a browser shows: every page drawn with no console error or failed request
(and its screenshot for docs/ui.md), thumbnails that load, a range ticked with shift-click,
the confirmation before a deletion, the organization switcher, annotations drawn and toggled,
review by keyboard, a long line charted and zoomed, a run log followed live, and a hostile
readme that runs nothing."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from pixlake import Experiment, Project
from pixlake.core import accounts, experiments
from pixlake.sdk.datalake import Picture
from pixlake.sdk.network import Network
from tests.conftest import LiveServer, write_images
from tests.factories import coco_dataset
from tests.web.conftest import PASSWORD, Person

CHROMIUM = "/usr/bin/chromium"
#: Chromium as a headless test browser on a machine without a screen or an outside network.
_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("PIXLAKE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does)")
        pytest.skip(f"{CHROMIUM} is not installed")
    assert shutil.which(CHROMIUM)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def _sign_in(page: Page, person: Person, path: str) -> None:
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    page.fill('input[name="username"]', person.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click('form[action="/signin"] button')
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def lake(server: LiveServer, person: Person, tmp_path: Path) -> Picture:
    files = write_images(tmp_path / "images", 12)
    pic = Picture(api_token=person.token, host=server.url, interactive=False)
    pic.upload([str(f) for f in files], tags=["raw"])
    return pic


def test_sign_in_see_thumbnails_tick_a_range_and_tag_it(
    page: Page, person: Person, lake: Picture
) -> None:
    _sign_in(page, person, f"/o/{person.organization}/datalake")
    images = page.locator("#grid img")
    expect(images).to_have_count(12)
    images.last.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#grid img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    boxes = page.locator('#grid input[name="ids"]')
    boxes.nth(2).click()
    boxes.nth(6).click(modifiers=["Shift"])
    expect(page.get_by_test_id("selected")).to_have_text("5 selected")
    page.fill('input[name="tags"]', "reviewed")
    page.click('button[value="tag"]')
    expect(page.get_by_role("status")).to_have_text("5 pictures tagged.")
    page.check('input[name="tag"][value="reviewed"]')
    page.click("#filters button")
    expect(page.get_by_test_id("total")).to_contain_text("5 pictures of 12")
    page.locator("#grid a").first.click()
    expect(page.get_by_test_id("tags")).to_contain_text("reviewed")
    expect(page.locator("figure img")).to_have_js_property("complete", True)


def test_a_deletion_asks_first_and_a_refusal_deletes_nothing(
    page: Page, person: Person, lake: Picture
) -> None:
    _sign_in(page, person, f"/o/{person.organization}/datalake")
    page.locator('#grid input[name="ids"]').first.click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click('button[value="delete"]')
    expect(page.get_by_test_id("total")).to_have_text("12 pictures")
    page.check("#all-matching")
    expect(page.get_by_test_id("selected")).to_have_text("all matching selected")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('button[value="delete"]')
    expect(page.get_by_role("status")).to_have_text("12 pictures deleted.")
    expect(page.get_by_test_id("total")).to_have_text("0 pictures")


def test_the_switcher_lists_the_organizations_and_sign_out_ends_it(
    page: Page, server: LiveServer, person: Person, unique: str
) -> None:
    other = f"second-{unique}"
    accounts.create_token(server.db, person.username, organization=other)
    _sign_in(page, person, "/")
    switcher = page.get_by_test_id("organizations")
    switcher.locator("summary").click()
    switcher.get_by_role("link", name=other).click()
    expect(page).to_have_url(re.compile(re.escape(f"/o/{other}/datalake") + "$"))
    expect(switcher.locator("summary")).to_have_text(other)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/signin$"))
    page.goto(f"/o/{other}/datalake")
    expect(page).to_have_url(re.compile(r"/signin\?next="))


@pytest.fixture
def coco(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """Eight pictures: enough for the pages, quick to import."""
    root = tmp_path / "coco"
    return root, coco_dataset(root, 8)


def test_labels_can_be_hidden_and_the_fill_changed(
    page: Page, person: Person, version: str
) -> None:
    _sign_in(page, person, f"/o/{person.organization}/datasets/{version}")
    expect(page.locator("h1")).to_contain_text("cars")
    cars = page.locator('#grid .shape[data-l="1"]')  # "car", the second label
    assert cars.count() > 0
    expect(cars.first).to_be_visible()
    page.locator('#legend input[data-toggle="1"]').uncheck()
    expect(cars.first).to_be_hidden()
    expect(page.locator('#grid .shape[data-l="0"]').first).to_be_visible()
    page.locator("#opacity").fill("80")
    fill = page.evaluate(
        "getComputedStyle(document.querySelector('#grid rect.shape, #grid g.shape')).fillOpacity"
    )
    assert float(fill) == pytest.approx(0.8)


def test_a_reviewer_accepts_and_moves_on_with_the_keyboard(
    page: Page, person: Person, version: str
) -> None:
    _sign_in(page, person, f"/o/{person.organization}/datasets/{version}?status=pending")
    page.locator("#grid a").first.click()
    expect(page.get_by_test_id("status")).to_have_text("pending")
    first = page.get_by_test_id("name").inner_text()
    page.keyboard.press("a")
    expect(page.get_by_test_id("name")).not_to_have_text(first)
    page.keyboard.press("r")
    expect(page.get_by_test_id("status")).to_have_text("pending")  # the third, untouched
    page.goto(f"/o/{person.organization}/datasets/{version}/statistics")
    expect(page.locator("table").first).to_contain_text("accepted")
    expect(page.locator("table").first).to_contain_text("rejected")
    page.goto(f"/o/{person.organization}/datasets/{version}?status=accepted")
    expect(page.locator("#grid .name")).to_have_text([first])


def test_a_hostile_readme_runs_nothing_in_the_browser(
    page: Page, server: LiveServer, person: Person, unique: str
) -> None:
    net = Network(api_token=person.token, host=server.url, interactive=False)
    net.create(f"hostile-{unique}", type="detection")
    net.update(
        readme_text="# Hi\n\n<script>window.pwned = 1</script>\n"
        '<img src=x onerror="window.pwned = 2">\n\n[click me](javascript:window.pwned=3)\n'
    )
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    _sign_in(page, person, f"/networks/{net.network_id}")
    expect(page.get_by_test_id("readme").locator("h1")).to_have_text("Hi")
    link = page.get_by_test_id("readme").get_by_text("click me")
    if link.count():
        link.first.click()
    assert page.evaluate("typeof window.pwned") == "undefined" and dialogs == []


@pytest.fixture
def experiment(server: LiveServer, person: Person) -> Experiment:
    project = Project(api_token=person.token, host=server.url, interactive=False).create(
        "charts", type="detection"
    )
    exp = Experiment(
        api_token=person.token,
        host=server.url,
        project_token=project.project_token,
        interactive=False,
    ).create(name="long-run")
    ys = [1.0 + (i % 7) * 0.01 for i in range(20_000)]
    ys[12_345] = 80.0
    exp.log("loss", ys, type="line")
    exp.flush()
    return exp


def test_a_long_line_is_drawn_zoomed_and_its_log_followed_live(
    page: Page, server: LiveServer, person: Person, experiment: Experiment
) -> None:
    caller = accounts.authenticate(server.db, person.token)
    org = caller.default_organization.id
    assert experiment.id is not None
    run_id = uuid.UUID(experiment.id)
    experiments.append_logs(
        server.db, caller, org, experiment_id=run_id, lines=["epoch 1"], part="train"
    )
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/lines/" in r.url else None)
    _sign_in(page, person, f"/o/{person.organization}/experiments/{experiment.id}")
    chart = page.locator(".chart").first
    expect(chart).to_have_attribute("data-ready", "true")
    expect(chart.locator("canvas")).to_have_count(1)
    points = int(chart.get_attribute("data-points") or 0)
    assert points <= 4 * 1300 and chart.get_attribute("data-size") == "20000"
    # the spike is among the points drawn: the y axis reaches it
    assert chart.get_attribute("data-max") == "80"
    box = chart.locator(".u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.62, box["y"] + 20, steps=4)
    page.mouse.up()
    page.wait_for_function(f"() => document.querySelector('.chart').dataset.points !== '{points}'")
    assert any("first=" in url and "last=" in url for url in asked)
    expect(page.get_by_test_id("log")).to_contain_text("epoch 1")
    experiments.append_logs(
        server.db, caller, org, experiment_id=run_id, lines=["epoch 2"], part="train", exit_code=0
    )
    expect(page.get_by_test_id("log")).to_contain_text("epoch 2", timeout=10_000)
    expect(page.get_by_test_id("exit-code")).to_have_text("exit code 0")


#: Where the tour's screenshots go: docs/ui/ when asked (they illustrate docs/ui.md), else a
#: temporary folder (they are still taken: a page that cannot be drawn fails the tour).
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "ui"


def test_every_page_loads_with_no_console_error_and_no_failed_request(
    page: Page,
    server: LiveServer,
    person: Person,
    version: str,
    experiment: Experiment,
    tmp_path: Path,
    unique: str,
) -> None:
    shots = SHOTS if os.environ.get("PIXLAKE_UI_SCREENSHOTS") == "1" else tmp_path
    problems: list[str] = []
    page.on(
        "console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # a request the browser dropped because the test left the page (net::ERR_ABORTED: a lazy
    # thumbnail, the icon) did not fail; every other failure, and every 4xx/5xx, does
    page.on(
        "requestfailed",
        lambda r: (
            None if r.failure == "net::ERR_ABORTED" else problems.append(f"{r.url} {r.failure}")
        ),
    )
    page.on(
        "response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None
    )
    experiment.log("mAP", 0.78, type="value")
    experiment.log("ap", {"x": ["car", "bus"], "y": [0.8, 0.6]}, type="bar")
    experiment.log(
        "confusion", {"categories": ["car", "bus"], "values": [[9, 1], [2, 8]]}, "heatmap"
    )
    experiment.log("hyperparameters", {"lr": 0.01}, type="table")
    experiment.flush()
    net = Network(api_token=person.token, host=server.url, interactive=False)
    net.create(f"detector-{unique}", type="detection")
    net.update(readme_text="# Detector\n\nTrained on *cars*.", labels={"1": "car"}, private=False)
    org = f"/o/{person.organization}"
    page.goto("/signin")
    page.screenshot(path=shots / "signin.jpg", quality=75)
    _sign_in(page, person, f"{org}/datalake")
    pages = {
        "datalake": f"{org}/datalake",
        "datasets": f"{org}/datasets",
        "version": f"{org}/datasets/{version}",
        "statistics": f"{org}/datasets/{version}/statistics",
        "projects": f"{org}/projects",
        "experiment": f"{org}/experiments/{experiment.id}",
        "networks": f"{org}/networks",
        "hub": "/hub",
        "network": f"/networks/{net.network_id}",
    }
    for name, url in pages.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(
            path=shots / f"{name}.jpg", quality=75, full_page=name in ("experiment", "statistics")
        )
    page.goto(f"{org}/datasets/{version}")
    page.wait_for_load_state("networkidle")
    page.locator("#grid a").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shots / "version-picture.jpg", quality=75)
    page.goto(f"{org}/datalake")
    page.wait_for_load_state("networkidle")
    page.locator("#grid a").first.click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=shots / "picture.jpg", quality=75)
    assert not problems, "\n".join(problems)


def test_the_overlay_of_a_known_picture_shows_its_exact_objects(
    page: Page, person: Person, version: str, coco: tuple[Path, dict[str, Any]]
) -> None:
    _root, document = coco
    image = document["images"][0]
    mine = [a for a in document["annotations"] if a["image_id"] == image["id"]]
    boxes = sum(1 for a in mine if not a["segmentation"])
    polygons = sum(1 for a in mine if a["segmentation"] and not a["iscrowd"])
    masks = sum(1 for a in mine if a["iscrowd"])
    _sign_in(page, person, f"/o/{person.organization}/datasets/{version}")
    cell = page.locator("#grid li").filter(has_text=image["file_name"])
    expect(cell.locator("rect.shape")).to_have_count(boxes)
    expect(cell.locator("g.shape")).to_have_count(polygons)
    expect(cell.locator("image.mask")).to_have_count(masks)


def test_an_export_runs_as_a_job_with_progress_then_a_download(
    page: Page, person: Person, version: str
) -> None:
    _sign_in(page, person, f"/o/{person.organization}/datasets/{version}")
    page.select_option('select[name="format"]', "voc")
    page.click(".export button")
    expect(page.get_by_test_id("status")).to_have_text("succeeded", timeout=15_000)
    expect(page.locator("#count")).to_have_text("8 of 8")
    with page.expect_download() as download:
        page.get_by_test_id("download").click()
    assert download.value.suggested_filename.endswith(".zip")
