"""The demo's training step: project, attached dataset, a simulated run logging each kind of
data and a log stream; it runs twice."""

from __future__ import annotations

from pathlib import Path

from pixlake import Client, Experiment
from pixlake.cli.demo import DEMO_DATASET, demo_training
from tests.conftest import LiveServer
from tests.factories import coco_dataset


def test_demo_training_runs_twice(server: LiveServer, alice: str, tmp_path: Path) -> None:
    root = tmp_path / "coco"
    coco_dataset(root, 3)
    client = Client(api_token=alice, host=server.url, interactive=False)
    client.datalake.upload(
        name=DEMO_DATASET,
        imgdir=root / "images",
        ann_path=root / "instances.json",
        ann_format="COCO",
    )
    first = demo_training(client, tmp_path, steps=12)
    assert "12 loss points, 9 data assets, 2 log lines, exit code 0" in first
    second = demo_training(client, tmp_path, steps=12)
    assert second == first
    runs = Experiment(
        api_token=alice,
        host=server.url,
        project_token=client.project.get("demo-project").project_token,
        interactive=False,
    ).list()
    assert [r["name"] for r in runs] == ["demo-run"]
