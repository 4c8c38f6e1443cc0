"""Write the corpus's files to a folder, one sub-folder per case, to look at or to try by hand.

Usage: ``python -m tests.corpus.make DIR``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.corpus.cases import all_cases


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = Path(argv[0])
    for case in all_cases():
        folder = root / case.name
        for relative, data in case.files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_bytes(data)
        if case.request or case.raw:
            folder.mkdir(parents=True, exist_ok=True)
            request = {k: v for k, v in case.request.items() if k != "body"}
            (folder / "request.json").write_text(json.dumps(request, indent=2) + "\n")
            (folder / "body.bin").write_bytes(case.request.get("body", case.raw))
        expected = {"channel": case.channel, "expect": case.expect, "mentions": case.mentions}
        (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    print(f"{len(all_cases())} cases written under {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
