"""``pixlake demo``: pixlake end to end on the embedded default, in a few seconds.

Runs twice without complaint: images are generated deterministically, so a second run
uploads nothing new (the bytes are already stored) and merges tags.
"""

from __future__ import annotations

import io
import json
import math
import random
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from pixlake.api.embedded import EmbeddedServer
from pixlake.core import accounts, sessions
from pixlake.core.config import Settings
from pixlake.errors import AlreadyExistsError, ResourceNotFoundError
from pixlake.sdk import Client, Network
from pixlake.store.db.engine import Database

__all__ = ["demo_dataset", "demo_network", "generate_images", "run_demo"]

DEMO_USER = "demo"
DEMO_ORG = "demo"
SCENES = ("street", "indoor", "field", "night")


@dataclass(frozen=True)
class Scene:
    """One generated picture and the objects drawn on it (so the demo has exact labels)."""

    data: bytes
    name: str
    scene: str
    width: int
    height: int
    #: (label, bbox [x, y, w, h], polygon [x0, y0, x1, y1, ...] or None)
    objects: list[tuple[str, list[float], list[float] | None]]


def _scene_image(index: int) -> Scene:
    """A deterministic synthetic picture: a sky-to-ground gradient with crates and signs."""
    rng = random.Random(index)
    scene = SCENES[index % len(SCENES)]
    width, height = rng.choice([(320, 240), (400, 300), (256, 256), (360, 240)])
    palette = {
        "street": ((120, 160, 220), (80, 80, 90)),
        "indoor": ((230, 220, 200), (140, 110, 80)),
        "field": ((140, 200, 250), (70, 150, 60)),
        "night": ((10, 15, 40), (30, 30, 35)),
    }[scene]
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.4, 0.7))
    for y in range(height):
        top, bottom = palette
        t = y / max(1, height - 1)
        color = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=color)
    objects: list[tuple[str, list[float], list[float] | None]] = []
    for _ in range(rng.randint(2, 6)):
        x0, y0 = rng.randint(0, width - 90), rng.randint(horizon - 40, height - 61)
        w, h = rng.randint(20, 90), rng.randint(15, 60)
        fill = tuple(rng.randint(30, 255) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=fill, outline=(0, 0, 0))
            objects.append(("crate", [x0, y0, w + 1, h + 1], None))
        else:
            r = min(w, h) / 2
            points = [
                (x0 + r + r * math.cos(a / 6 * math.tau), y0 + r + r * math.sin(a / 6 * math.tau))
                for a in range(6)
            ]
            draw.polygon(points, fill=fill, outline=(0, 0, 0))
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            objects.append(
                ("sign", [round(v, 2) for v in box], [round(v, 2) for p in points for v in p])
            )
    if scene == "night":
        for _ in range(30):
            x, y = rng.randint(0, width - 1), rng.randint(0, horizon)
            draw.point((x, y), fill=(255, 255, 220))
    fmt, ext = ("PNG", "png") if index % 5 == 4 else ("JPEG", "jpg")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    return Scene(buffer.getvalue(), f"{scene}_{index:03d}.{ext}", scene, width, height, objects)


def generate_images(folder: Path, count: int) -> dict[str, list[Path]]:
    """Write ``count`` varied images into ``folder`` and their COCO annotations into
    ``folder.parent / "instances.json"``; returns the image paths by scene."""
    folder.mkdir(parents=True, exist_ok=True)
    by_scene: dict[str, list[Path]] = {}
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    categories = {"crate": 1, "sign": 2}
    for i in range(count):
        scene = _scene_image(i)
        path = folder / scene.name
        if not path.exists() or path.read_bytes() != scene.data:
            path.write_bytes(scene.data)
        by_scene.setdefault(scene.scene, []).append(path)
        images.append(
            {"id": i + 1, "file_name": scene.name, "width": scene.width, "height": scene.height}
        )
        for label, box, polygon in scene.objects:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": categories[label],
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": 0,
                    "segmentation": [polygon] if polygon else [],
                }
            )
    document = {
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": n, "name": name, "supercategory": "object"} for name, n in categories.items()
        ],
    }
    (folder.parent / "instances.json").write_text(json.dumps(document))
    return by_scene


def demo_dataset(client: Client, folder: Path) -> tuple[str, Table]:
    """Import the generated images and their COCO annotations as dataset ``demo-scenes`` (once),
    and export it as YOLO; returns a one-line summary and a table of label counts."""
    lake = client.datalake
    try:
        record = lake.dataset.fetch(DEMO_DATASET).fetched_dataset
        how = "already imported"
    except ResourceNotFoundError:
        record = lake.upload(
            name=DEMO_DATASET,
            imgdir=folder / "images",
            ann_path=folder / "instances.json",
            ann_format="COCO",
            tags=["demo"],
        )
        how = "imported from COCO"
    exported = lake.dataset.export("YOLO", folder / "exports" / "yolo")
    summary = (
        f"dataset {DEMO_DATASET}/{record['version']} ({how}): {record['nb_annotations']} "
        f"annotated images, {record['nb_objects']} objects; exported as YOLO to {exported}"
    )
    table = Table(title=f"labels of {DEMO_DATASET}/{record['version']}")
    table.add_column("label")
    table.add_column("type")
    table.add_column("objects", justify="right")
    for label in record["labels"]:
        table.add_row(
            label["name"], label["type"], str(record["repartition"].get(label["name"], 0))
        )
    return summary, table


def _usable(port: int) -> int:
    """``port`` when it is free, else 0 (any free port): a running `pixlake serve` may hold it."""
    if port:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return 0
    return port


DEMO_NETWORK = "demo-detector"
DEMO_DATASET = "demo-scenes"


def demo_network(network: Network, folder: Path) -> str:
    """Create network ``demo-detector`` (or reuse it), store a small generated config, set its
    labels and a thumbnail made from a generated image; returns a one-line summary."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        network.get(DEMO_NETWORK)
    except ResourceNotFoundError:
        network.create(DEMO_NETWORK, "detection")
    labels = {"1": "crate", "2": "sign"}
    config = folder / f"{DEMO_NETWORK}.yaml"
    config.write_text(
        f"model: {DEMO_NETWORK}\ninput_size: 320\nclasses: [{', '.join(labels.values())}]\n"
    )
    thumbnail = folder / f"{DEMO_NETWORK}-thumbnail.jpg"
    thumbnail.write_bytes(_scene_image(0).data)
    network.update(
        framework="pytorch",
        tag=["demo"],
        description="A demo detector: a config file, labels and a thumbnail (no real weights).",
        readme_text=f"# {DEMO_NETWORK}\n\nMade by `pixlake demo`.\n",
    )
    network.store("config", config)
    network.labels(labels)
    network.update_thumb(thumbnail)
    details = network.infos["file_details"]["config"]
    return (
        f"network '{DEMO_NETWORK}': file config ({details['size']} bytes, sha256 "
        f"{details['sha256'][:12]}…), labels {', '.join(labels.values())}, thumbnail "
        f"{network.infos['thumb_object_name']}"
    )


DEMO_PROJECT = "demo-project"
DEMO_RUN = "demo-run"


def demo_training(client: Client, folder: Path, *, steps: int = 50) -> str:
    """Project ``demo-project`` with the demo dataset attached, and a short simulated training
    run ``demo-run`` (recreated each time) logging each kind of data and a log stream;
    returns a one-line summary."""
    version = client.datalake.dataset.fetch(DEMO_DATASET).fetched_dataset["version"]
    project = client.project
    try:
        project.get(DEMO_PROJECT)
    except ResourceNotFoundError:
        project.create(DEMO_PROJECT, description="made by pixlake demo", type="detection")
    project.attach_dataset(f"{DEMO_DATASET}/{version}")
    exp = client.experiment
    exp.id, exp.experiment_name, exp.project_token = None, "", project.project_token
    try:
        exp.checkout(name=DEMO_RUN)
        exp.delete()
    except ResourceNotFoundError:
        pass
    exp.create(name=DEMO_RUN, dataset=f"{DEMO_DATASET}/{version}", description="simulated")
    rng = random.Random(7)
    labels = ["crate", "sign"]
    exp.log("hyperparameters", {"lr": 0.01, "epochs": steps, "batch_size": 8}, type="table")
    exp.log("labelmap", {"1": "crate", "2": "sign"}, type="labelmap")
    with exp.capture("train"):
        for step in range(steps):
            loss = 2.0 * math.exp(-step / 12) + rng.uniform(0, 0.05)
            exp.log("loss", loss, type="line")
            exp.log("accuracy", 1 - loss / 2.2, type="line")
            if step % 10 == 0:
                print(f"step {step}: loss {loss:.3f}")
    exp.log("confusion", {"categories": labels, "values": [[40, 3], [5, 31]]}, type="heatmap")
    exp.log("ap", {"x": labels, "y": [0.82, 0.74]}, type="bar")
    exp.log("mAP", 0.78, type="value")
    sample = folder / "demo-prediction.jpg"
    folder.mkdir(parents=True, exist_ok=True)
    sample.write_bytes(_scene_image(1).data)
    exp.log("sample-prediction", str(sample), type="image")
    exp.log(
        "evaluation",
        [{"external_picture_url": "crates_001.jpg", "gt": [], "pred": [{"score": 0.9}]}],
        type="evaluation",
    )
    config = folder / "demo-run.yaml"
    config.write_text(f"lr: 0.01\nepochs: {steps}\n")
    exp.store("config", config)
    exp.update(status="success")
    exp.flush()
    logs = exp.get_logs()
    return (
        f"project '{DEMO_PROJECT}': run '{DEMO_RUN}' on {DEMO_DATASET}/{version}, "
        f"{len(exp.get_data('loss'))} loss points, {len(exp.list_data())} data assets, "
        f"{len(logs['texts'])} log lines, exit code {logs['exit_code']}"
    )


def _demo_password(db: Database) -> str:
    """A new password for the demo user, each run (the last run's sessions end)."""
    password = secrets.token_urlsafe(12)
    try:
        sessions.create_user(db, DEMO_USER, password, organization=DEMO_ORG)
    except AlreadyExistsError:
        sessions.set_password(db, DEMO_USER, password)
    return password


def run_demo(*, serve: bool = False, port: int = 0, n_images: int = 50) -> None:
    console = Console()
    settings = Settings()
    console.print(f"[bold]pixlake demo[/bold] — data in {settings.home}")
    with EmbeddedServer(settings, port=_usable(port)) as server:
        db = Database(settings.database_url)
        try:
            token, info = accounts.create_token(db, DEMO_USER, organization=DEMO_ORG, name="demo")
            password = _demo_password(db)
        finally:
            db.dispose()
        images = generate_images(settings.home / "demo" / "images", n_images)
        console.print(f"generated {n_images} images in {settings.home / 'demo' / 'images'}")

        with Client(api_token=token, host=server.url, interactive=False) as client:
            pictures = client.datalake.picture
            for scene, paths in images.items():
                split = max(1, int(len(paths) * 0.8))
                pictures.upload(paths[:split], tags=["demo", scene, "train"], source="demo")
                pictures.upload(paths[split:], tags=["demo", scene, "val"], source="demo")
            everything = pictures.list()
            sample = pictures.fetch(0.3, ["train"], seed=7)
            pictures.add_tags(sample, ["reviewed"])

            table = Table(title="datalake of organization 'demo'")
            table.add_column("tag")
            table.add_column("pictures", justify="right")
            counts: dict[str, int] = {}
            for record in everything:
                for tag in record["tag"]:
                    counts[tag] = counts.get(tag, 0) + 1
            reviewed = len(pictures.fetch(1, ["reviewed"]))
            counts["reviewed"] = reviewed
            for tag in sorted(counts):
                table.add_row(tag, str(counts[tag]))
            console.print(table)
            total_bytes = sum(r["size"] for r in everything)
            console.print(
                f"{len(everything)} pictures ({total_bytes / 1e6:.1f} MB); fetched 30% of "
                f"'train': {len(sample)} pictures, e.g. {sample[0]['external_url']} "
                f"({sample[0]['width']}x{sample[0]['height']}, sha256 {sample[0]['sha256'][:12]}…)"
            )
            summary, labels = demo_dataset(client, settings.home / "demo")
            console.print(labels)
            console.print(summary)
            console.print(demo_network(client.network, settings.home / "demo"))
            console.print(demo_training(client, settings.home / "demo"))

        console.print(f"\nAPI token for user '{info.username}': {token}")
        console.print(
            f"Web UI: {server.url}/ (sign in as '{info.username}' with the password {password})"
        )
        console.print(f"API docs: {server.url}/docs")
        if not serve:
            console.print(
                "The demo server has stopped: run `pixlake serve` (or `pixlake demo --serve`) "
                "to browse the pictures and the API docs, and use the token from Python."
            )
        if serve:
            console.print(f"\nserving on {server.url} — press Ctrl-C to stop")
            server.wait()
