"""Add compiled bytecode for every .py file of a Lambda deployment zip.

Python 3.11 bytecode (the runtime's version), hash-based and unchecked, so it is used
whatever timestamps the zip carries.
"""

from __future__ import annotations

import compileall
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from py_compile import PycInvalidationMode


def precompile(archive: Path) -> int:
    """Rewrite `archive` with __pycache__ entries added; returns the number of modules."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bundle"
        with zipfile.ZipFile(archive) as source:
            source.extractall(root)
        compileall.compile_dir(root, quiet=1, invalidation_mode=PycInvalidationMode.UNCHECKED_HASH)
        rebuilt = Path(tmp) / "deployment.zip"
        count = 0
        with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as target:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    info = zipfile.ZipInfo.from_file(path, path.relative_to(root).as_posix())
                    info.external_attr = 0o644 << 16  # readable by the Lambda runtime user
                    info.compress_type = zipfile.ZIP_DEFLATED
                    target.writestr(info, path.read_bytes())
                    count += path.suffix == ".pyc"
        shutil.move(str(rebuilt), archive)
    return count


if __name__ == "__main__":
    print(f"compiled {precompile(Path(sys.argv[1]))} modules into {sys.argv[1]}")
