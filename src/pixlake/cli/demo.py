"""``pixlake demo``: pixlake end to end on the embedded default, in a few seconds.

Runs twice without complaint: images are generated deterministically, so a second run
uploads nothing new (the bytes are already stored) and merges tags.
"""

from __future__ import annotations

import io
import math
import random
import socket
from pathlib import Path

from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from pixlake.api.embedded import EmbeddedServer
from pixlake.core import accounts
from pixlake.core.config import Settings
from pixlake.sdk import Client
from pixlake.store.db.engine import Database

__all__ = ["generate_images", "run_demo"]

DEMO_USER = "demo"
DEMO_ORG = "demo"
SCENES = ("street", "indoor", "field", "night")


def _scene_image(index: int) -> tuple[bytes, str, str]:
    """A deterministic synthetic picture: a sky-to-ground gradient with shapes."""
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
    for _ in range(rng.randint(2, 6)):
        x0, y0 = rng.randint(0, width - 40), rng.randint(horizon - 40, height - 30)
        w, h = rng.randint(20, 90), rng.randint(15, 60)
        fill = tuple(rng.randint(30, 255) for _ in range(3))
        if rng.random() < 0.5:
            draw.rectangle([x0, y0, x0 + w, y0 + h], fill=fill, outline=(0, 0, 0))
        else:
            r = min(w, h) / 2
            points = [
                (x0 + r + r * math.cos(a / 6 * math.tau), y0 + r + r * math.sin(a / 6 * math.tau))
                for a in range(6)
            ]
            draw.polygon(points, fill=fill, outline=(0, 0, 0))
    if scene == "night":
        for _ in range(30):
            x, y = rng.randint(0, width - 1), rng.randint(0, horizon)
            draw.point((x, y), fill=(255, 255, 220))
    fmt, ext = ("PNG", "png") if index % 5 == 4 else ("JPEG", "jpg")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    return buffer.getvalue(), f"{scene}_{index:03d}.{ext}", scene


def generate_images(folder: Path, count: int) -> dict[str, list[Path]]:
    """Write ``count`` varied images into ``folder``; returns the paths by scene."""
    folder.mkdir(parents=True, exist_ok=True)
    by_scene: dict[str, list[Path]] = {}
    for i in range(count):
        data, name, scene = _scene_image(i)
        path = folder / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        by_scene.setdefault(scene, []).append(path)
    return by_scene


def _usable(port: int) -> int:
    """``port`` when it is free, else 0 (any free port): a running `pixlake serve` may hold it."""
    if port:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return 0
    return port


def run_demo(*, serve: bool = False, port: int = 0, n_images: int = 50) -> None:
    console = Console()
    settings = Settings()
    console.print(f"[bold]pixlake demo[/bold] — data in {settings.home}")
    with EmbeddedServer(settings, port=_usable(port)) as server:
        db = Database(settings.database_url)
        try:
            token, info = accounts.create_token(db, DEMO_USER, organization=DEMO_ORG, name="demo")
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

        console.print(f"\nAPI token for user '{info.username}': [bold]{token}[/bold]")
        console.print(f"API docs:  {server.url}/docs")
        console.print(
            "Try it:    export PIXLAKE_TOKEN=… PIXLAKE_HOST="
            f'{server.url}; python -c "from pixlake import Picture; '
            'print(len(Picture().list()))"'
        )
        if serve:
            console.print(f"\nserving on {server.url} — press Ctrl-C to stop")
            server.wait()
