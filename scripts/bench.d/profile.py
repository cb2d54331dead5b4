"""Summarise py-spy's raw (collapsed) stacks: the functions that hold the most busy samples.

``profile.py FILE [--top N]`` prints, for the busiest functions, the share of samples in which
each one is on the stack (inclusive) and at the top of it (self). Idle samples (py-spy records
only busy threads with ``--idle`` off) are not in the file, so shares are of busy time.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^:()]*)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["file"]
    for marker in ("site-packages/", "src/", "_service/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['function']} ({path})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.file.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [frame_name(f) for f in stack.split(";") if f.strip()]
        for name in set(frames[1:] if frames and frames[0].startswith("process ") else frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
    lines = [f"{total} busy samples", "| inclusive | self | function |", "|---:|---:|---|"]
    for name, count in inclusive.most_common(args.top):
        share, top = 100 * count / total, 100 * own[name] / total
        lines.append(f"| {share:.1f} % | {top:.1f} % | `{name}` |")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
