"""Parses every .bicep file under a directory with pycep-parser and prints one JSON object:
{"<path relative to the directory>": <pycep's JSON of that file>, ...}.

Used by tests/app/infra.rs (which compares the Bicep with the code) and by tests/run.sh (which fails
when any file does not parse). A file that does not parse is named on stderr with pycep's error,
and the exit status is 1.

    python tests/infra/pycep_dump.py infra > target/infra-bicep.json
"""

import json
import sys
from pathlib import Path

from pycep import BicepParser


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: pycep_dump.py DIR (e.g. infra)", file=sys.stderr)
        return 2
    root = Path(sys.argv[1])
    files = sorted(root.rglob("*.bicep"))
    if not files:
        print(f"no .bicep files under {root}", file=sys.stderr)
        return 1
    parser = BicepParser()
    parsed = {}
    failed = False
    for path in files:
        try:
            parsed[path.relative_to(root).as_posix()] = parser.parse(file_path=path)
        except Exception as error:  # pycep raises lark's and its own errors
            print(f"{path}: does not parse: {error}", file=sys.stderr)
            failed = True
    if failed:
        return 1
    json.dump(parsed, sys.stdout, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
