"""Experiments through the SDK against a real server: the training-run story, file and data
assets, buffered line appends, run logs, publishing, and every refusal."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixlake import Datalake, Dataset, Experiment, Network, Project
from pixlake.errors import (
    AlreadyExistsError,
    InvalidInputError,
    InvalidQueryError,
    ResourceNotFoundError,
    UnsupportedFeatureError,
)
from tests.conftest import LiveServer, make_image
from tests.factories import coco_dataset


@pytest.fixture
def project(server: LiveServer, alice: str, tmp_path: Path) -> Iterator[tuple[Project, str]]:
    """A project with dataset ``cars/<version>`` attached; yields it and the version."""
    root = tmp_path / "coco"
    coco_dataset(root, 4)
    lake = Datalake(api_token=alice, host=server.url, interactive=False)
    record = lake.upload(
        name="cars", imgdir=root / "images", ann_path=root / "instances.json", ann_format="COCO"
    )
    proj = Project(api_token=alice, host=server.url, interactive=False).create(
        "street", type="detection"
    )
    proj.attach_dataset(f"cars/{record['version']}")
    yield proj, record["version"]


def new_exp(server: LiveServer, token: str, proj: Project) -> Experiment:
    return Experiment(
        api_token=token, host=server.url, project_token=proj.project_token, interactive=False
    )


def test_training_run_story(
    server: LiveServer,
    alice: str,
    project: tuple[Project, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proj, version = project
    exp = new_exp(server, alice, proj).create(name="run-1", dataset=f"cars/{version}")
    assert exp.name == "run-1" and exp.status == "started"
    assert exp.dataset["name"] == f"cars/{version}"

    # the training loop
    for step in range(30):
        exp.log("loss", 1.0 / (step + 1), type="line")
        exp.log("accuracy", [step / 30], type="line")
    exp.log("confusion", {"categories": ["car", "bus"], "values": [[5, 1], [2, 7]]}, "heatmap")
    exp.log("hyperparameters", {"lr": 0.01, "epochs": 30, "optimizer": "sgd"}, type="table")
    exp.log("ap", {"x": ["car", "bus"], "y": [0.8, 0.6]}, type="bar")
    image = tmp_path / "sample.jpg"
    image.write_bytes(make_image(3))
    exp.log("sample", str(image), type="image")
    exp.log("labelmap", {"1": "car", "2": "bus"}, type="labelmap")
    exp.log(
        "eval",
        [{"external_picture_url": "a.jpg", "gt": [], "pred": [{"score": 0.9}]}],
        type="evaluation",
    )
    exp.log("best", 0.93, type="value")
    with exp.capture("train"):
        print("epoch 1 loss 0.5")
        print("epoch 2 loss 0.3")
    weights = tmp_path / "best.pt"
    weights.write_bytes(os.urandom(2000))
    config = tmp_path / "pipeline.config"
    config.write_text("lr: 0.01\n")
    # a file keeps its own name, as upstream keys it (the zip's for a zipped folder)
    assert exp.store("checkpoint-data-latest", weights) == f"{exp.id}/best.pt"
    exp.store("config", config)
    saved = tmp_path / "saved_model"
    saved.mkdir()
    (saved / "model.bin").write_bytes(b"model")
    assert exp.store("model-latest", saved, zip=True) == f"{exp.id}/0/saved_model.zip"

    # read-your-writes: the buffered points are visible on the next read
    loss = exp.get_data("loss")
    assert len(loss) == 30 and loss[0] == 1.0 and loss[-1] == pytest.approx(1 / 30)
    assert exp.get_data("best") == {"value": 0.93}
    sample = exp.get_data("sample")
    assert sample["object_name"] == f"{exp.id}/sample.jpg"
    assert len(sample["sha256"]) == 64
    names = {d["name"]: d["type"] for d in exp.list_data()}
    assert names == {
        "loss": "line",
        "accuracy": "line",
        "confusion": "heatmap",
        "hyperparameters": "table",
        "ap": "bar",
        "sample": "image",
        "labelmap": "labelmap",
        "eval": "evaluation",
        "best": "value",
    }
    logs = exp.get_logs()
    assert logs["texts"] == ["epoch 1 loss 0.5", "epoch 2 loss 0.3"]
    assert logs["steps"] == ["train", "train"] and logs["exit_code"] == 0
    assert logs["lines"] == [0, 1] and len(logs["timestamps"]) == 2

    # another machine checks it out with its training tree
    monkeypatch.chdir(tmp_path / "..")
    elsewhere = tmp_path / "machine-2"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    other = Experiment(
        api_token=alice, host=server.url, project_token=proj.project_token, interactive=False
    ).checkout(name="run-1", tree=True, with_files=True)
    assert other.id == exp.id
    assert other.infos["logging"]["logs"] == {"train": ["epoch 1 loss 0.5", "epoch 2 loss 0.3"]}
    assert other.infos["logging"]["exit_code"] == 0
    for sub in (
        "images",
        "checkpoint",
        "metrics",
        "records",
        "config",
        "results",
        "exported_model",
    ):
        assert (elsewhere / "run-1" / sub).is_dir()
    assert (elsewhere / "run-1" / "checkpoint" / "best.pt").read_bytes() == weights.read_bytes()
    assert (elsewhere / "run-1" / "config" / "pipeline.config").read_text() == "lr: 0.01\n"
    assert (elsewhere / "run-1" / "exported_model" / "saved_model.zip").stat().st_size > 0
    assert other.checkpoint_dir == Path("run-1") / "checkpoint"

    # annotations of the attached dataset, COCO-shaped
    every = other.dl_annotations()
    assert len(every["images"]) == 4
    assert every["categories"][0]["id"] == 1
    assert {"internal_picture_id", "external_picture_url", "signed_url", "width"} <= set(
        every["images"][0]
    )
    assert other.dl_annotations("accepted")["annotations"] == [
        a for a in every["annotations"] if a["status"] == "accepted"
    ]
    ds = Dataset(api_token=alice, host=server.url, interactive=False).fetch("cars", version)
    first = every["images"][0]["external_picture_url"]
    ds.set_annotation_status([first], "accepted")
    accepted = other.dl_annotations(option="accepted")["annotations"]
    assert [a["external_picture_url"] for a in accepted] == [first]
    other.generate_labelmap()
    assert other.label_map["1"] == every["categories"][0]["name"]
    other.train_test_split(0.5)
    assert len(other.train_list) == 2 and len(other.eval_list) == 2

    # run-2 from run-1, run-3 from a network
    run2 = new_exp(server, alice, proj).create(
        name="run-2", previous="run-1", with_files=True, with_data=True
    )
    assert run2.infos["previous"] == "run-1"
    assert {f["name"] for f in run2.files} == {f["name"] for f in exp.list_files()}
    assert run2.get_data("loss") == loss

    network = exp.publish("cars-v1")
    assert network["network_name"] == "cars-v1"
    assert network["labels"] == {"1": "car", "2": "bus"}
    assert set(network["files"]) == {"checkpoint-data-latest", "config", "model-latest"}
    run3 = new_exp(server, alice, proj).create(
        name="run-3", source=f"{exp.organization_name}/cars-v1"
    )
    assert run3.infos["source"]["network_name"] == "cars-v1"
    assert {f["name"] for f in run3.files} == set(network["files"])
    assert run3.get_data("labelmap") == {"1": "car", "2": "bus"}
    net = Network(api_token=alice, host=server.url, interactive=False).get("cars-v1")
    got = net.download("config", tmp_path / "net-config")
    assert got.read_text() == "lr: 0.01\n"

    assert [e["name"] for e in exp.list()] == ["run-1", "run-2", "run-3"]
    exp.update(status="success")
    assert exp.status == "success"


def test_file_assets(
    server: LiveServer, alice: str, project: tuple[Project, str], tmp_path: Path
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="files")
    a = tmp_path / "a.bin"
    a.write_bytes(b"first")
    exp.store("weights", a)
    assert [f["name"] for f in exp.list_files()] == ["weights"]
    a.write_bytes(b"second!")
    exp.store("weights", a)  # replaces
    assert exp.get_file("weights")["size"] == 7  # type: ignore[index]
    assert exp.get_file("nope") is None
    renamed = exp.update_file("weights", name="best")
    # renamed, the file keeps its own name: the key and the download are a.bin's
    assert renamed["name"] == "best" and renamed["object_name"] == f"{exp.id}/a.bin"
    assert renamed["file_name"] == "a.bin"
    dest = exp.download("best", tmp_path / "out")
    assert dest == tmp_path / "out" / "a.bin" and dest.read_bytes() == b"second!"
    assert exp.download("missing") is None
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "x.txt").write_text("x")
    exp.store("folder", folder, zip=True)
    with pytest.raises(InvalidInputError, match="path"):
        exp.store("folder2", folder)
    with pytest.raises(InvalidQueryError, match="ghost.bin: no such file or folder"):
        exp.store("ghost", tmp_path / "ghost.bin")
    with pytest.raises(ResourceNotFoundError, match="config"):
        exp.store("config")
    assert exp.delete_file("best") is True
    assert [f["name"] for f in exp.list_files()] == ["folder"]
    assert exp.delete_all_files() is True
    assert exp.list_files() == []
    with pytest.raises(ResourceNotFoundError):
        exp.delete_file("best")


UNREADABLE = Path("/proc/self/mem")  # a file whose reading fails, even for root


@pytest.mark.skipif(not UNREADABLE.is_file(), reason="needs Linux's /proc")
def test_local_path_problems_are_sdk_errors_naming_the_path(
    server: LiveServer, alice: str, project: tuple[Project, str], tmp_path: Path
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="paths")
    with pytest.raises(InvalidInputError) as error:
        exp.store("weights", UNREADABLE)
    assert str(error.value) == "Invalid query : /proc/self/mem: cannot be read (Input/output error)"
    with pytest.raises(InvalidQueryError, match="ghost.png: no such image file"):
        exp.log("sample", tmp_path / "ghost.png", type="image")
    with pytest.raises(InvalidInputError, match="cannot be read"):
        exp.log("sample", UNREADABLE, type="image")
    a = tmp_path / "a.bin"
    a.write_bytes(b"bytes")
    exp.store("weights", a)
    with pytest.raises(InvalidQueryError, match="a.bin is a file, not a folder"):
        exp.download("weights", a)  # a folder is expected
    with pytest.raises(InvalidQueryError, match="cannot be written"):
        exp.download("weights", a / "below")  # under a file: no folder can be made


def test_bad_arguments_are_refused_by_type_or_value(
    server: LiveServer, alice: str, project: tuple[Project, str]
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="arguments")
    with pytest.raises(InvalidInputError, match="prop: 1.5"):
        exp.train_test_split(1.5)
    with pytest.raises(TypeError, match="prop"):
        exp.train_test_split("0.5")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="length"):
        exp.start_logging_buffer("2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="code"):
        exp.set_exit_code("0")  # type: ignore[arg-type]
    with pytest.raises(ResourceNotFoundError, match="dl_annotations"):
        exp.train_test_split(0.5)  # a good share, and nothing to split yet


def test_data_assets_and_buffered_appends(
    server: LiveServer, alice: str, project: tuple[Project, str]
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="data")
    for i in range(200):
        exp.log("loss", float(i), type="line")
    exp.flush()
    # read through another object: the points were stored by flush()
    reader = Experiment(api_token=alice, host=server.url, id=exp.id, interactive=False)
    assert reader.get_data("loss") == [float(i) for i in range(200)]
    assert len(reader.get_data("loss", max_points=20)) <= 21
    line = reader.get_line("loss", max_points=10)
    assert line["size"] == 200 and line["idx"][0] == 0 and line["idx"][-1] == 199
    exp.log("loss", [1, 2], type="line", replace=True)
    assert exp.get_data("loss") == [1, 2]
    exp.log("xy", {"x": [0.5, 1.5], "y": [3, 4]}, type="line")
    exp.log("xy", {"x": [2.5], "y": [5]})
    assert exp.get_data("xy") == {"x": [0.5, 1.5, 2.5], "y": [3, 4, 5]}
    exp.log("table", {"a": 1}, type="table")
    exp.log("table", {"b": 2})  # overwrites
    assert exp.get_data("table") == {"b": 2}
    # non-finite numbers are stored as strings
    exp.log("nan", [1.0, math.nan, math.inf, -math.inf], type="line")
    assert exp.get_data("nan") == [1.0, "NaN", "Infinity", "-Infinity"]
    exp.log("v", math.nan, type="value")
    assert exp.get_data("v") == {"value": "NaN"}

    renamed = exp.update_data("table", name="params")
    assert renamed["name"] == "params"
    updated = exp.update_data(name="params", data={"c": 3})
    assert updated["data"] == {"c": 3}
    assert exp.update_data(data_name="params", type="value", data=4)["data"] == {"value": 4}
    assert exp.delete_data("params") is True
    with pytest.raises(ResourceNotFoundError):
        exp.get_data("params")
    assert exp.create_data("direct", [1], "line")["type"] == "line"
    exp.append_data("direct", data=[2, 3])
    assert exp.get_data("direct") == [1, 2, 3]
    assert exp.delete_all_data() is True
    assert exp.list_data() == []


def test_bad_data_is_refused_naming_the_field(
    server: LiveServer, alice: str, project: tuple[Project, str], tmp_path: Path
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="bad")
    with pytest.raises(InvalidInputError, match="type") as info:
        exp.log("first", [1, 2])
    assert info.value.details[0]["field"] == "type"
    with pytest.raises(InvalidInputError, match="data.values") as info:
        exp.log("hm", {"categories": ["a", "b"], "values": [[1, 2], [3]]}, type="heatmap")
    with pytest.raises(InvalidInputError, match="data.values"):
        exp.log("hm", {"categories": ["a", "b"], "values": [[1, 2]]}, type="heatmap")
    with pytest.raises(InvalidInputError, match="data.y"):
        exp.log("bar", {"x": ["a", "b"], "y": [1]}, type="bar")
    exp.log("bar", {"x": ["a"], "y": [1]}, type="bar")
    with pytest.raises(InvalidInputError, match="type"):
        exp.log("bar", [1, 2], type="line")
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello")
    with pytest.raises(InvalidInputError, match="data"):
        exp.log("pic", str(not_image), type="image")
    with pytest.raises(InvalidInputError, match="type"):
        exp.log("x", 1, type="pie")
    assert [d["name"] for d in exp.list_data()] == ["bar"]
    assert exp.get_data("bar") == {"x": ["a"], "y": [1]}


def test_experiment_refusals(
    server: LiveServer, alice: str, bob: str, project: tuple[Project, str]
) -> None:
    proj, version = project
    exp = new_exp(server, alice, proj)
    with pytest.raises(InvalidInputError, match="name"):
        exp.create(name="r" * 61)
    with pytest.raises(InvalidInputError, match="description"):
        exp.create(name="ok", description="d" * 1001)
    with pytest.raises(ResourceNotFoundError, match="dataset"):
        exp.create(name="ok", dataset="nope/first")
    with pytest.raises(ResourceNotFoundError, match="source"):
        exp.create(name="ok", source=f"{exp.organization_name}/nope")
    with pytest.raises(ResourceNotFoundError, match="previous"):
        exp.create(name="ok", previous="ghost")
    assert exp.list() == []
    exp.create(name="ok")
    with pytest.raises(AlreadyExistsError, match="ok"):
        new_exp(server, alice, proj).create(name="ok")

    # another project's experiment is not a valid previous
    other = Project(api_token=alice, host=server.url, interactive=False).create("other")
    new_exp(server, alice, other).create(name="elsewhere")
    with pytest.raises(ResourceNotFoundError, match="previous"):
        new_exp(server, alice, proj).create(name="ok2", previous="elsewhere")

    # another organization sees nothing and cannot use alice's things
    bob_proj = Project(api_token=bob, host=server.url, interactive=False).create("b")
    bob_exp = new_exp(server, bob, bob_proj)
    with pytest.raises(ResourceNotFoundError, match="dataset"):
        bob_exp.create(name="x", dataset=f"cars/{version}")
    net = Network(api_token=alice, host=server.url, interactive=False).create("private", "det")
    with pytest.raises(ResourceNotFoundError, match="source"):
        bob_exp.create(name="x", source=f"{exp.organization_name}/private")
    with pytest.raises(ResourceNotFoundError):
        Experiment(api_token=bob, host=server.url, id=exp.id, interactive=False).checkout()
    with pytest.raises(ResourceNotFoundError):
        Experiment(
            api_token=bob, host=server.url, project_token=proj.project_token, interactive=False
        ).list()
    # a public network of another organization is a valid source
    net.update(private=False, labels={"1": "car"})
    bob_exp.create(name="x", source=f"{exp.organization_name}/private")
    assert bob_exp.get_data("labelmap") == {"1": "car"}

    with pytest.raises(InvalidQueryError, match="identify"):
        Experiment(api_token=alice, host=server.url, interactive=False).checkout()
    with pytest.raises(InvalidQueryError, match="project_token"):
        Experiment(api_token=alice, host=server.url, interactive=False).list()
    with pytest.raises(UnsupportedFeatureError, match="hosted"):
        exp.launch(gpus=1)


def test_logs_are_readable_while_the_run_goes_on(
    server: LiveServer, alice: str, project: tuple[Project, str]
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="logs")
    watcher = Experiment(api_token=alice, host=server.url, id=exp.id, interactive=False)
    exp.start_logging_chapter("setup")
    exp.send_experiment_logging("installing", "setup")
    exp.flush()
    assert watcher.get_logs()["texts"] == ["installing"]
    exp.start_logging_buffer(2)
    exp.send_experiment_logging("epoch 1", "train")
    exp.send_experiment_logging("epoch 2", "train")
    exp.send_experiment_logging("done", "train", final=True, special=3)
    exp.end_logging_buffer()
    exp.flush()
    logs = watcher.get_logs(after=0)
    assert logs["texts"] == ["epoch 1", "epoch 2", "done"]
    assert logs["lines"] == [1, 2, 3]
    assert logs["logs"] == {"train": ["epoch 1", "epoch 2", "done"]}
    assert logs["exit_code"] == 3
    with pytest.raises(RuntimeError), exp.capture("crash"):
        print("about to fail")
        raise RuntimeError("boom")
    assert watcher.get_logs()["exit_code"] == 1
    exp.update_job_status("failed")
    assert watcher.checkout().status == "failed"


def test_delete_and_delete_all(
    server: LiveServer, alice: str, project: tuple[Project, str]
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="one")
    exp.log("loss", [1], type="line")
    assert exp.delete() is True
    assert exp.id is None
    new_exp(server, alice, proj).create(name="two")
    new_exp(server, alice, proj).create(name="three")
    assert exp.delete_all() is True
    assert exp.list() == []


def test_appends_reach_the_server_without_flush(
    server: LiveServer, alice: str, project: tuple[Project, str], http: httpx.Client
) -> None:
    """The background sender stores buffered points by itself (nothing in this process
    flushes or reads through the SDK); the test polls the API until they are there."""
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="background")
    exp.log("loss", 1.0, type="line")
    exp.flush()
    for i in range(5):
        exp.log("loss", float(i), type="line")
    url = f"/organizations/{exp.organization_id}/experiments/{exp.id}/data/loss/points"
    headers = {"Authorization": f"Token {alice}"}
    deadline = time.monotonic() + 30
    while http.get(url, headers=headers).json()["size"] < 6:
        assert time.monotonic() < deadline, "the buffered points never arrived"
        time.sleep(0.05)
    assert http.get(url, headers=headers).json()["y"] == [1.0, 0.0, 1.0, 2.0, 3.0, 4.0]


def test_reads_through_any_object_see_the_process_writes(
    server: LiveServer, alice: str, project: tuple[Project, str]
) -> None:
    proj, _ = project
    writer = new_exp(server, alice, proj).create(name="ryw")
    writer.log("loss", [0.0], type="line")
    writer.flush()
    reader = Experiment(api_token=alice, host=server.url, id=writer.id, interactive=False)
    for i in range(1, 50):
        writer.log("loss", float(i), type="line")
    assert reader.get_data("loss") == [float(i) for i in range(50)]


def test_appends_are_sent_at_exit(
    server: LiveServer, alice: str, project: tuple[Project, str], tmp_path: Path
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="at-exit")
    script = tmp_path / "train.py"
    script.write_text(
        "import sys\n"
        "from pixlake import Experiment\n"
        "exp = Experiment(api_token=sys.argv[1], host=sys.argv[2], id=sys.argv[3],"
        " interactive=False)\n"
        "exp.log('loss', 0.5, type='line')\n"
        "for i in range(999):\n"
        "    exp.log('loss', i, type='line')\n"
    )
    subprocess.run(
        [sys.executable, str(script), alice, server.url, str(exp.id)], check=True, timeout=120
    )
    assert len(exp.get_data("loss")) == 1000


def test_checkout_variants_and_aliases(
    server: LiveServer,
    alice: str,
    project: tuple[Project, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proj, _ = project
    exp = new_exp(server, alice, proj).create(name="co")
    exp.log("loss", [3, 2, 1], type="line")
    exp.log("table", {"a": 1}, type="table")
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"w")
    exp.store("weights", weights)
    monkeypatch.chdir(tmp_path)
    by_id = Experiment(api_token=alice, host=server.url, interactive=False).checkout(
        id=exp.id, with_file=True, with_data=True
    )
    assert (tmp_path / "co" / "w.bin").read_bytes() == b"w"
    data = {d["name"]: d["data"] for d in by_id.infos["data"]}
    assert data == {"loss": [3, 2, 1], "table": {"a": 1}}
    without = Experiment(
        api_token=alice,
        host=server.url,
        project_token=proj.project_token,
        name="co",
        interactive=False,
    ).checkout()
    assert [d["data"] for d in without.infos["data"]] == [None, None]
    assert str(without).startswith("{")
    assert "checkout" in str(Experiment(api_token=alice, host=server.url, interactive=False))
    with pytest.raises(ResourceNotFoundError):
        Experiment(api_token=alice, host=server.url, interactive=False).checkout(
            name="ghost", project_token=proj.project_token
        )
    # a line without x values refuses points with x, naming the field
    exp.log("other", [5], type="line")
    exp.flush()
    with pytest.raises(InvalidInputError, match="x"):
        exp.log("loss", {"x": [9], "y": [9]}, type="line")
        exp.log("other", [6], type="line")  # a good append in the same round still lands
        exp.flush()
    assert exp.get_data("loss") == [3, 2, 1]
    assert exp.get_data("other") == [5, 6]
    # the organization can be named explicitly in Project.get
    again = Project(api_token=alice, host=server.url, interactive=False).get(
        "street", organization=proj.organization_name
    )
    assert again.project_token == proj.project_token


def test_a_fork_of_a_public_network_outlives_its_going_private(
    server: LiveServer, alice: str, bob: str, tmp_path: Path
) -> None:
    """The rule (docs/networks.md): private again hides the network at once, from the hub and
    from every other organization; an experiment another organization started from it while
    it was public keeps what it received, as the fork of a public repository does."""
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"alice's public weights")
    net = Network(api_token=alice, host=server.url, interactive=False).create("shared", "det")
    net.store("model-latest", weights)
    net.update(private=False)
    owner = net.infos["organization"]["name"]
    bob_proj = Project(api_token=bob, host=server.url, interactive=False).create("fork")
    fork = new_exp(server, bob, bob_proj).create(name="fork", source=f"{owner}/shared")

    net.update(private=True)

    bobs = Network(api_token=bob, host=server.url, interactive=False)
    assert bobs.hub(search="shared") == []
    with pytest.raises(ResourceNotFoundError, match="source"):  # no new fork
        new_exp(server, bob, bob_proj).create(name="late", source=f"{owner}/shared")
    got = fork.download("model-latest", tmp_path / "bob")  # the fork keeps its copy
    assert got is not None and got.read_bytes() == b"alice's public weights"
