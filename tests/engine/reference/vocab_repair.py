"""Repaired copies of the damaged shared vocabulary files, for the reference scripts.

The vocabulary files in ../shared/data/tokenizer/ reached this machine damaged: each byte sequence
that is not valid UTF-8 was replaced by U+FFFD (the bytes EF BF BD), as Python's
`data.decode("utf-8", errors="replace").encode()` does, so a strict reader rejects them
(docs/MODELS.md). The repair has one implementation, in C++: tests/engine/vocab_salvage.h, which
the tokenizer tests call in memory and whose command-line tool `vocab_salvage` (built with the
tests) this module runs, caching the repaired copy.

The tool is $ANVIL_VOCAB_SALVAGE (the C++ tests set it to the one beside their binary), else
build/tests/vocab_salvage in this repository (`cmake --build build --target vocab_salvage`).

    /usr/bin/python3 vocab_repair.py --out-dir DIR FILE.gguf...   # writes DIR/FILE.gguf, prints guesses
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

import gguf_io as g

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
_FFFD = b"\xef\xbf\xbd"


class RepairError(g.GGUFError):
    pass


def salvage_tool() -> str:
    """The path of the vocab_salvage tool; RepairError when there is none."""
    env = os.environ.get("ANVIL_VOCAB_SALVAGE")
    path = env or os.path.join(REPO, "build", "tests", "vocab_salvage")
    if not os.access(path, os.X_OK):
        where = f"ANVIL_VOCAB_SALVAGE={env}" if env else path
        raise RepairError(f"the vocabulary salvage tool is not at {where}: build it "
                          f"(cmake --build build --target vocab_salvage) or set ANVIL_VOCAB_SALVAGE")
    return path


def is_damaged(path: str) -> bool:
    try:
        g.GGUFReader(path)
        return False
    except g.GGUFError:
        with open(path, "rb") as f:
            return _FFFD in f.read()


def open_vocab(path: str, cache_dir: Optional[str] = None) -> g.GGUFReader:
    """A reader for a vocabulary file, repaired first (into cache_dir, default
    $TMPDIR/anvil-vocab-repaired) if damaged."""
    try:
        return g.GGUFReader(path)
    except g.GGUFError:
        if not is_damaged(path):
            raise
    cache_dir = cache_dir or os.path.join(os.environ.get("TMPDIR", "/tmp"), "anvil-vocab-repaired")
    os.makedirs(cache_dir, exist_ok=True)
    st = os.stat(path)
    out = os.path.join(cache_dir, f"{os.path.basename(path)}.{st.st_size}.{int(st.st_mtime)}.gguf")
    if not os.path.exists(out):
        cmd = [salvage_tool(), "--out", out, path]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if r.returncode != 0:
            raise RepairError(f"{' '.join(cmd)} exited with {r.returncode}:\n{r.stdout}")
    return g.GGUFReader(out)


def main(argv: Optional[list] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 3 or args[0] != "--out-dir":
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    try:
        tool = salvage_tool()
    except RepairError as e:
        print(e, file=sys.stderr)
        return 1
    return subprocess.run([tool, *args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
