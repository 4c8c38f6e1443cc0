"""Rows 43 to 52 and 54 to 59: experiments through the upstream client (create, list, check
out by id and by name with the training tree and files, update, delete), their run logs,
publishing, and file assets stored small (a form upload) and large (multipart, an exact
multiple of 5 MiB included), zipped, listed, read, renamed, downloaded and deleted, each step
seen by pixlake's own SDK too; a file keeps its own name both ways; bad input and other
organizations' experiments are answered as the client expects."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from pixlake import Experiment, Network, Project
from pixlake.errors import ResourceNotFoundError
from tests.api.upstream.conftest import Upstream, wire
from tests.conftest import LiveServer

MiB = 1024 * 1024


def _project(server: LiveServer, token: str, name: str = "street") -> str:
    made = Project(api_token=token, host=server.url, interactive=False).create(name)
    return str(made.project_token)


def _ours(server: LiveServer, token: str, project: str) -> Experiment:
    return Experiment(api_token=token, host=server.url, project_token=project, interactive=False)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- experiments


def test_create_list_check_out_update_and_delete(
    upstream: Upstream, server: LiveServer, alice: str
) -> None:
    project = _project(server, alice)
    made = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.create(name="run-1", description="first try")
        created = exp.infos
        Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r}).create(
            name="run-2", previous="run-1")
        listed = exp.list()
        by_id = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        by_id.checkout(id=exp.id)
        by_name = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        by_name.checkout(name="run-1")
        no_token = Client.Experiment(api_token=TOKEN, host=HOST, id=exp.id)  # path 'None'
        no_token.checkout()
        updated = exp.update(description="second try", status="running")
        exp.update_job_status("success")
        emit({{"created": created, "id": exp.id, "listed": listed, "by_id": by_id.infos,
               "by_name": by_name.infos, "no_token": no_token.project_token,
               "updated": updated}})
        """
    )
    created, run = made["created"], made["id"]
    assert created["name"] == "run-1" and created["description"] == "first try"
    assert created["id"] == run == str(uuid.UUID(run))
    assert created["project"]["project_id"] == project and created["files"] == []
    assert {"date_created", "dataset", "owner", "status", "data"} <= set(created)
    assert [e["name"] for e in made["listed"]] == ["run-1", "run-2"]
    assert made["by_id"]["id"] == made["by_name"]["id"] == run
    assert made["no_token"] == project
    assert made["updated"]["description"] == "second try"
    ours = _ours(server, alice, project).checkout(name="run-1")
    assert str(ours.id) == run
    assert ours.description == "second try" and ours.status == "success"
    assert _ours(server, alice, project).checkout(name="run-2").infos["previous"] == "run-1"

    upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-1")
        exp.delete()
        emit(exp.list())
        """
    )
    assert [e["name"] for e in _ours(server, alice, project).list()] == ["run-2"]
    upstream.run(
        f"""
        Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r}).delete_all()
        emit(0)
        """
    )
    assert _ours(server, alice, project).list() == []


def test_a_checkout_with_data_holds_the_data_assets_data(
    upstream: Upstream, server: LiveServer, alice: str
) -> None:
    project = _project(server, alice)
    ours = _ours(server, alice, project).create(name="run-1")
    ours.log("params", {"lr": 0.01}, type="table")
    ours.flush()
    seen = upstream.run(
        f"""
        with_data = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        with_data.checkout(name="run-1", with_data=True)
        without = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        without.checkout(name="run-1")
        emit([with_data.data, without.data])
        """
    )
    assert [d["data"] for d in seen[0]] == [{"lr": 0.01}]
    assert [d["name"] for d in seen[1]] == ["params"] and seen[1][0]["data"] is None


def test_run_logs_arrive_in_order_with_their_parts_and_the_exit_code(
    upstream: Upstream, server: LiveServer, alice: str
) -> None:
    project = _project(server, alice)
    run = str(_ours(server, alice, project).create(name="run-1").id)
    upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r}, id={run!r})
        exp.start_logging_chapter("train")
        exp.send_experiment_logging("epoch 1 loss 0.5", "train")
        exp.send_experiment_logging("epoch 2 loss 0.3\\n", "train")
        exp.send_experiment_logging(["map 0.61\\n", "map 0.64\\n"], "eval", special="buffer")
        exp.send_experiment_logging("0", "eval", special="exit_code")
        emit(exp.line_nb)
        """
    )
    logs = _ours(server, alice, project).checkout(name="run-1").get_logs()
    assert logs["texts"] == ["epoch 1 loss 0.5", "epoch 2 loss 0.3", "map 0.61", "map 0.64"]
    assert logs["steps"] == ["train", "train", "eval", "eval"]
    assert logs["exit_code"] == 0
    checked = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r}, id={run!r})
        exp.send_experiment_logging("killed", "eval", final=True, special=137)
        emit(exp.checkout().infos["logging"])
        """
    )
    assert checked["logs"]["eval"] == ["map 0.61", "map 0.64", "killed"]
    assert checked["exit_code"] == 137 and checked["nb_lines"] == 5
    # the client swallows errors: what it sends to no experiment arrives nowhere
    bad = wire(
        server,
        alice,
        "POST",
        "experiment/send_experiment_logging",
        {"experiment_id": str(uuid.uuid4()), "line_nb": 0, "log": "x", "part": "p"},
    )
    assert bad.status_code == 404
    exit_code = wire(
        server,
        alice,
        "POST",
        "experiment/send_experiment_logging",
        {"experiment_id": run, "log": "ok", "part": "eval", "special": "exit_code"},
    )
    assert exit_code.status_code == 400 and "exit code" in exit_code.json()["error"]
    for text in ("--5", "9" * 12, "9" * 5000):
        wrong = wire(
            server,
            alice,
            "POST",
            "experiment/send_experiment_logging",
            {"experiment_id": run, "log": text, "part": "eval", "special": "exit_code"},
        )
        assert wrong.status_code == 400 and "exit" in wrong.json()["error"], wrong.text
    assert _ours(server, alice, project).checkout(name="run-1").get_logs()["total"] == 5


def test_publish_makes_a_network_of_the_files_under_their_names(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    project = _project(server, alice)
    _write(upstream.workdir / "runs" / "best.pt", b"weights")
    network = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.create(name="run-1")
        exp.store("model-latest", "runs/best.pt")
        emit(exp.publish("cars-v1"))
        """
    )
    assert network["network_name"] == "cars-v1"
    assert network["files"] == {"model-latest": f"{network['model_id']}/0/best.pt"}
    net = Network(api_token=alice, host=server.url, interactive=False).get("cars-v1")
    got = net.download("model-latest", tmp_path)
    assert got == tmp_path / "best.pt" and got.read_bytes() == b"weights"


# --------------------------------------------------------------------------- files


def test_files_small_large_and_zipped_keep_their_names_both_ways(
    upstream: Upstream,
    server: LiveServer,
    alice: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = _project(server, alice)
    here = upstream.workdir
    best = _write(here / "runs" / "best.pt", os.urandom(1000))
    exact = _write(here / "ckpt" / "ckpt-3.data", os.urandom(10 * MiB))  # ends with an empty part
    odd = _write(here / "ckpt" / "big.bin", os.urandom(5 * MiB + 321))
    config = _write(here / "train.yaml", b"lr: 0.01\n")
    _write(here / "saved_model" / "saved_model.pb", b"graph" * 100)
    _write(here / "saved_model" / "variables" / "v.data", os.urandom(3000))
    stored = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.create(name="run-1")
        keys = [
            exp.store("weights", "runs/best.pt"),
            exp.store("checkpoint-data-latest", "ckpt/ckpt-3.data"),
            exp.store("big", "ckpt/big.bin"),
            exp.store("config", "train.yaml"),
            exp.store("model-latest", "saved_model", zip=True),
        ]
        print()  # after the client's progress bars, which end no line
        emit({{"id": exp.id, "keys": keys, "files": exp.list_files(),
               "one": exp.get_file("weights"), "none": exp.get_file("missing")}})
        """
    )
    run = stored["id"]
    assert stored["keys"] == [
        f"{run}/best.pt",
        f"{run}/ckpt-3.data",
        f"{run}/big.bin",
        f"{run}/train.yaml",
        f"{run}/0/saved_model.zip",
    ]
    files = {f["name"]: f for f in stored["files"]}
    assert {n: (f["object_name"], f["large"]) for n, f in files.items()} == {
        "weights": (f"{run}/best.pt", False),
        "checkpoint-data-latest": (f"{run}/ckpt-3.data", True),
        "big": (f"{run}/big.bin", True),
        "config": (f"{run}/train.yaml", False),
        "model-latest": (f"{run}/0/saved_model.zip", False),
    }
    assert stored["one"]["object_name"] == f"{run}/best.pt" and stored["none"] == []
    ours = _ours(server, alice, project).checkout(name="run-1")
    sizes = {f["name"]: (f["file_name"], f["size"], f["sha256"]) for f in ours.list_files()}
    assert sizes["weights"] == ("best.pt", 1000, _sha(best))
    assert sizes["checkpoint-data-latest"] == ("ckpt-3.data", 10 * MiB, _sha(exact))
    assert sizes["big"] == ("big.bin", 5 * MiB + 321, _sha(odd))
    assert sizes["config"] == ("train.yaml", 9, _sha(config))

    # the upstream client checks it out elsewhere, with its tree and the files
    elsewhere = upstream.run(
        f"""
        os.makedirs("machine-2"); os.chdir("machine-2")
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-1", tree=True, with_file=True)
        emit(sorted(os.path.join(d, f) for d, _, fs in os.walk("run-1") for f in fs))
        """
    )
    assert elsewhere == [
        "run-1/best.pt",
        "run-1/big.bin",
        "run-1/checkpoint/ckpt-3.data",
        "run-1/config/train.yaml",
        "run-1/saved_model.zip",  # the client's tree puts a small model-latest at the root
    ]
    tree = here / "machine-2" / "run-1"
    assert _sha(tree / "checkpoint" / "ckpt-3.data") == _sha(exact)
    assert (tree / "config" / "train.yaml").read_bytes() == b"lr: 0.01\n"
    # pixlake's own SDK puts the same files under the same names
    monkeypatch.chdir(tmp_path)
    mine = _ours(server, alice, project).checkout(name="run-1", tree=True, with_files=True)
    assert (tmp_path / "run-1" / "config" / "train.yaml").read_bytes() == b"lr: 0.01\n"
    assert _sha(tmp_path / "run-1" / "checkpoint" / "ckpt-3.data") == _sha(exact)
    assert (tmp_path / "run-1" / "exported_model" / "saved_model.zip").is_file()
    assert mine.download("weights", tmp_path / "out") == tmp_path / "out" / "best.pt"

    # stored again, renamed, downloaded, deleted
    newer = _write(here / "other" / "best.pt", os.urandom(500))
    done = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-1")
        exp.store("weights", "other/best.pt")  # a name already stored: replaced
        renamed = exp.update_file("weights", name="best")
        os.makedirs("out")
        exp.download("best", path="out")
        exp.delete_file("big")
        emit({{"renamed": renamed, "names": sorted(f["name"] for f in exp.list_files())}})
        """
    )
    assert done["renamed"]["name"] == "best" and done["renamed"]["object_name"] == f"{run}/best.pt"
    assert (here / "out" / "best.pt").read_bytes() == newer.read_bytes()
    assert done["names"] == ["best", "checkpoint-data-latest", "config", "model-latest"]
    assert ours.get_file("best")["sha256"] == _sha(newer)  # type: ignore[index]
    assert ours.get_file("big") is None
    upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-1")
        exp.delete_all_files()
        emit(exp.list_files())
        """
    )
    assert ours.list_files() == []


def test_files_stored_with_pixlakes_sdk_download_through_the_upstream_client_by_key(
    upstream: Upstream, server: LiveServer, alice: str, tmp_path: Path
) -> None:
    project = _project(server, alice)
    ours = _ours(server, alice, project).create(name="run-1")
    first = _write(tmp_path / "v1" / "best.pt", b"one")
    ours.store("weights", first)
    ours.store("labels", _write(tmp_path / "labels.txt", b"car\n"))
    _ours(server, alice, project).create(name="run-2", previous="run-1", with_files=True)
    got = upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-2", with_file=True)  # copied files, under the new id
        keys = [f["object_name"] for f in exp.files]
        os.makedirs("one")
        Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r}).checkout(
            name="run-1").download("weights", path="one")
        emit(keys)
        """
    )
    run2 = str(_ours(server, alice, project).checkout(name="run-2").id)
    assert sorted(got) == [f"{run2}/best.pt", f"{run2}/labels.txt"]
    assert (upstream.workdir / "run-2" / "best.pt").read_bytes() == b"one"
    assert (upstream.workdir / "run-2" / "labels.txt").read_bytes() == b"car\n"
    assert (upstream.workdir / "one" / "best.pt").read_bytes() == b"one"

    # sent by the upstream client, then stored anew by pixlake's SDK: the key names the new bytes
    _write(upstream.workdir / "best.pt", b"two")
    upstream.run(
        f"""
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-1").store("weights", "best.pt")
        emit(0)
        """
    )
    ours.store("weights", _write(tmp_path / "v3" / "best.pt", b"three"))
    upstream.run(
        f"""
        os.makedirs("three")
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        exp.checkout(name="run-1").download("weights", path="three")
        emit(0)
        """
    )
    assert (upstream.workdir / "three" / "best.pt").read_bytes() == b"three"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", ["a?b", "a#b", "50%", "5%41", "..", "a/b", "line\nbreak"])
def test_names_that_cannot_travel_in_a_path_are_refused_at_creation(
    server: LiveServer, alice: str, name: str
) -> None:
    project = _project(server, alice)
    answer = wire(server, alice, "POST", f"experiment/{project}", {"name": name})
    assert answer.status_code == 400 and answer.json()["error"].startswith("name: ")
    assert _ours(server, alice, project).list() == []


@pytest.mark.parametrize("name", ["a#b", "50%"])
def test_file_names_that_cannot_travel_in_a_path_are_refused_and_nothing_is_written(
    server: LiveServer, alice: str, name: str
) -> None:
    project = _project(server, alice)
    ours = _ours(server, alice, project).create(name="run-1")
    run = str(ours.id)
    form = wire(
        server,
        alice,
        "POST",
        "generate_presigned_url",
        {"method": "post", "object_name": f"{run}/w.bin", "bucket_model": True},
    ).json()["url"]
    sent = httpx.post(form["url"], data=form["fields"], files={"file": ("w.bin", b"w")})
    assert sent.status_code == 204
    entry = {"0": {"name": name, "object_name": f"{run}/w.bin", "large": False}}
    answer = wire(server, alice, "PUT", f"experiment/{run}/file", entry)
    assert answer.status_code == 400 and "name: " in answer.json()["error"]
    assert ours.list_files() == []


def test_bad_input_is_answered_in_the_clients_words(
    upstream: Upstream, server: LiveServer, alice: str
) -> None:
    project = _project(server, alice)
    run = str(_ours(server, alice, project).create(name="run-1").id)
    other_project = _project(server, alice, "other")
    said = upstream.run(
        f"""
        def error(call):
            try:
                call()
            except Exception as exc:
                return [type(exc).__name__, str(exc)]
        exp = Client.Experiment(api_token=TOKEN, host=HOST, project_token={project!r})
        emit([
            error(lambda: exp.create(name="run-1")),
            error(lambda: exp.checkout(name="ghost")),
            error(lambda: Client.Experiment(api_token=TOKEN, host=HOST,
                  project_token={other_project!r}).checkout(id={run!r})),
            error(lambda: exp.checkout(name="run-1").update(colour="red")),
            error(lambda: exp.delete_file("ghost")),
            error(lambda: exp.create(name="run-2", previous="ghost")),
        ])
        """
    )
    assert said[0][0] == "InvalidQueryError" and "already exists" in said[0][1]
    assert said[1] == [
        "ResourceNotFoundError",
        "Not found : no experiment named 'ghost' in project 'street'",
    ]
    assert said[2][0] == "ResourceNotFoundError" and other_project in said[2][1]
    assert said[3][0] == "InvalidQueryError" and "colour" in said[3][1]
    assert said[4][0] == "ResourceNotFoundError" and "ghost" in said[4][1]
    assert said[5][0] == "ResourceNotFoundError" and "previous" in said[5][1]
    never = {"0": {"name": "w", "object_name": f"{run}/never.bin", "large": False}}
    answer = wire(server, alice, "PUT", f"experiment/{run}/file", never)
    assert answer.status_code == 404 and "never.bin" in answer.json()["error"]
    two = {str(n): never["0"] for n in range(2)}
    assert wire(server, alice, "PUT", f"experiment/{run}/file", two).status_code == 400
    missing = wire(server, alice, "PATCH", f"experiment/{run}/file/ghost", {"name": "x"})
    assert missing.status_code == 404
    assert wire(server, alice, "GET", f"experiment/{run}/file/ghost").json() == {"file": []}
    assert _ours(server, alice, project).checkout(name="run-1").list_files() == []


def _strip(text: str, *ids: str) -> str:
    for value in ids:
        text = text.replace(value, "?")
    return text


def _filled(body: Any, experiment_id: str) -> Any:
    """A request body with ``{e}`` replaced by the experiment's id."""
    return None if body is None else json.loads(json.dumps(body).replace("{e}", experiment_id))


def test_another_organizations_experiments_are_as_unknown_as_missing_ones(
    server: LiveServer, alice: str, bob: str
) -> None:
    project = _project(server, alice)
    run = str(_ours(server, alice, project).create(name="run-1").id)
    nobody, no_project = str(uuid.uuid4()), str(uuid.uuid4())
    paths: list[tuple[str, str, Any]] = [
        ("GET", "experiment/{p}", None),
        ("POST", "experiment/{p}", {"name": "x"}),
        ("DELETE", "experiment/{p}", None),
        ("GET", "experiment/{p}/by_name/run-1", None),
        ("GET", "experiment/{p}/{e}", None),
        ("PATCH", "experiment/{p}/{e}", {"status": "x"}),
        ("DELETE", "experiment/{p}/{e}", None),
        ("POST", "experiment/{e}/update_job_status", {"status": "x"}),
        ("POST", "experiment/{e}/publish", {"name": "stolen"}),
        ("GET", "experiment/{e}/file", None),
        (
            "PUT",
            "experiment/{e}/file",
            {"0": {"name": "w", "object_name": "{e}/w", "large": False}},
        ),
        ("DELETE", "experiment/{e}/file", None),
        ("GET", "experiment/{e}/file/w", None),
        ("PATCH", "experiment/{e}/file/w", {"name": "v"}),
        ("DELETE", "experiment/{e}/file/w", None),
        ("POST", "experiment/send_experiment_logging", {"experiment_id": "{e}", "log": "x"}),
    ]
    for method, path, body in paths:
        theirs = wire(server, bob, method, path.format(p=project, e=run), _filled(body, run))
        missing = wire(
            server, bob, method, path.format(p=no_project, e=nobody), _filled(body, nobody)
        )
        assert theirs.status_code == missing.status_code == 404, (method, path, theirs.text)
        assert _strip(theirs.json()["error"], project, run) == _strip(
            missing.json()["error"], no_project, nobody
        )
    ours = _ours(server, alice, project).checkout(name="run-1")
    assert ours.status == "started" and ours.get_logs()["total"] == 0
    with pytest.raises(ResourceNotFoundError):
        Network(api_token=alice, host=server.url, interactive=False).get("stolen")
