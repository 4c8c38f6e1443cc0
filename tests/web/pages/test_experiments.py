"""The projects' and experiments' pages over HTTP: a project's experiments sorted, every
data-asset type drawn, lines read for a chart, the run log while it grows, files, images,
comparisons; and another organization's nothing."""

from __future__ import annotations

import io
import re
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image

from pixlake import Experiment, Project
from tests.conftest import LiveServer
from tests.web.conftest import Person, Stranger


@pytest.fixture
def project(server: LiveServer, person: Person) -> Project:
    return Project(api_token=person.token, host=server.url, interactive=False).create(
        "street", type="detection"
    )


def _run(server: LiveServer, person: Person, project: Project, name: str) -> Experiment:
    return Experiment(
        api_token=person.token,
        host=server.url,
        project_token=project.project_token,
        interactive=False,
    ).create(name=name)


@pytest.fixture
def run(server: LiveServer, person: Person, project: Project, tmp_path: Path) -> Experiment:
    exp = _run(server, person, project, "run-1")
    for step in range(3000):
        exp.log("loss", 100.0 if step == 1234 else 1.0 / (step + 1), type="line")
    exp.log("mAP", 0.78, type="value")
    exp.log("ap", {"x": ["car", "<b>bus</b>"], "y": [0.8, 0.6]}, type="bar")
    exp.log("confusion", {"categories": ["car", "bus"], "values": [[9, 1], [2, 8]]}, type="heatmap")
    exp.log("hyperparameters", {"lr": 0.01, "optimizer": "sgd"}, type="table")
    exp.log("labelmap", {"1": "car", "2": "bus"}, type="labelmap")
    sample = tmp_path / "sample.png"
    Image.new("RGB", (32, 24), "orange").save(sample)
    exp.log("sample", str(sample), type="image")
    config = tmp_path / "train.yaml"
    config.write_text("lr: 0.01\n")
    exp.store("config", config)
    with exp.capture("train"):
        print("epoch 1: loss 0.5")
    exp.flush()
    return exp


def test_a_project_lists_its_experiments_sorted(
    signed_in: httpx.Client, server: LiveServer, person: Person, project: Project
) -> None:
    for name in ("b-run", "a-run", "c-run"):
        _run(server, person, project, name)
    url = f"/o/{person.organization}/projects/{project.project_token}"
    by_name = signed_in.get(url, params={"sort": "name", "order": "asc"}).text
    assert re.findall(r'/experiments/[0-9a-f-]+">([a-c]-run)</a>', by_name) == [
        "a-run",
        "b-run",
        "c-run",
    ]
    newest = signed_in.get(url).text  # by update, newest first
    assert re.findall(r'/experiments/[0-9a-f-]+">([a-c]-run)</a>', newest) == [
        "c-run",
        "a-run",
        "b-run",
    ]
    assert signed_in.get(url, params={"sort": "colour"}).status_code == 422
    assert "street" in signed_in.get(f"/o/{person.organization}/projects").text


def test_every_data_asset_is_drawn_as_what_it_is(
    signed_in: httpx.Client, person: Person, run: Experiment
) -> None:
    page = signed_in.get(f"/o/{person.organization}/experiments/{run.id}").text
    assert 'data-testid="value-mAP">0.78<' in page
    assert re.search(r'class="chart" data-line-url="[^"]+/lines/loss"', page)
    assert "<title>car: 0.8</title>" in page and "&lt;b&gt;bus&lt;/b&gt;" in page
    heatmap = re.search(r'data-testid="heatmap-confusion">.*?</svg>', page, re.S)
    assert heatmap is not None and "<title>car → bus: 1</title>" in heatmap.group(0)
    assert "<td>optimizer</td><td>sgd</td>" in page and "<td>2</td><td>bus</td>" in page
    image = signed_in.get(f"/o/{person.organization}/experiments/{run.id}/images/sample")
    assert image.status_code == 200 and Image.open(io.BytesIO(image.content)).size == (32, 24)
    config = signed_in.get(f"/o/{person.organization}/experiments/{run.id}/files/config")
    assert config.status_code == 200 and config.content == b"lr: 0.01\n"
    assert 'data-logs-url="' in page


def test_a_line_is_read_in_buckets_and_keeps_its_spike(
    signed_in: httpx.Client, person: Person, run: Experiment
) -> None:
    url = f"/o/{person.organization}/experiments/{run.id}/lines/loss"
    coarse = signed_in.get(url, params={"buckets": 100}).json()
    assert coarse["size"] == 3000 and len(coarse["idx"]) <= 400
    assert coarse["y"][coarse["idx"].index(1234)] == 100.0
    zoomed = signed_in.get(url, params={"buckets": 100, "first": 1200, "last": 1299}).json()
    assert zoomed["idx"] == list(range(1200, 1300))
    bad = signed_in.get(url, params={"buckets": 0})
    assert bad.status_code == 422
    missing = signed_in.get(f"/o/{person.organization}/experiments/{run.id}/lines/nothing")
    assert missing.status_code == 404


def test_the_run_log_is_read_from_where_the_page_stopped(
    signed_in: httpx.Client, person: Person, run: Experiment
) -> None:
    url = f"/o/{person.organization}/experiments/{run.id}/logs"
    first = signed_in.get(url).json()
    assert [text for _n, _step, text in first["lines"]] == ["epoch 1: loss 0.5"]
    assert first["exit_code"] == 0
    last = first["lines"][-1][0]
    with run.capture("eval"):
        print("map 0.78")
    rest = signed_in.get(url, params={"after": last}).json()
    assert [(step, text) for _n, step, text in rest["lines"]] == [("eval", "map 0.78")]


def test_two_runs_are_compared_on_one_plot(
    signed_in: httpx.Client, server: LiveServer, person: Person, project: Project, run: Experiment
) -> None:
    other = _run(server, person, project, "run-2")
    other.log("loss", [0.5, 0.25], type="line")
    other.flush()
    url = f"/o/{person.organization}/projects/{project.project_token}/compare"
    page = signed_in.get(url, params=[("e", run.id), ("e", other.id)]).text
    assert page.count('class="series"') == 2 and "<h2>loss</h2>" in page
    alone = signed_in.get(url, params={"e": run.id})
    assert alone.status_code == 422 and "two or more" in alone.text
    stranger = signed_in.get(url, params=[("e", run.id), ("e", str(uuid.uuid4()))])
    assert stranger.status_code == 404


def test_another_organization_sees_no_project_experiment_or_byte(
    person: Person, project: Project, run: Experiment, stranger: Stranger
) -> None:
    for org in (person.organization, stranger.organization):
        for path in (
            f"/projects/{project.project_token}",
            f"/experiments/{run.id}",
            f"/experiments/{run.id}/lines/loss",
            f"/experiments/{run.id}/logs",
            f"/experiments/{run.id}/files/config",
            f"/experiments/{run.id}/images/sample",
        ):
            assert stranger.client.get(f"/o/{org}{path}").status_code == 404, (org, path)
