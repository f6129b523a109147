#!/usr/bin/env python3
"""Regenerate the example models in models/ (or, with --check, fail if they are stale)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sbmlcrn.io.atomic import write_atomic
from sbmlcrn.studies.examples import example_models

MODELS = Path(__file__).resolve().parent.parent / "models"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if models/ is stale")
    args = parser.parse_args()
    stale = []
    for name, text in example_models().items():
        path = MODELS / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(name)
            if not args.check:
                write_atomic(path, text)
    if args.check:
        if stale:
            print(f"stale models: {', '.join(stale)}; run scripts/regenerate_models.py")
            return 1
        print("models/ is up to date")
        return 0
    print(f"wrote {len(stale)} model(s)" if stale else "models/ was up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
