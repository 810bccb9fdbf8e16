"""Downloads one pinned npm package into a temporary directory, for the scripts that regenerate
onboard's embedded data from it. Needs npm (it runs `npm view` and `npm pack`, nothing else)."""

import contextlib
import json
import pathlib
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator


def _npm(*args: str, cwd: str) -> str:
    return subprocess.run(
        ["npm", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@contextlib.contextmanager
def unpacked(package: str, version: str) -> Iterator[tuple[pathlib.Path, str]]:
    """The package's `package/` directory, unpacked, and the date it was published
    (YYYY-MM-DD); both gone when the block ends."""
    spec = f"{package}@{version}"
    with tempfile.TemporaryDirectory() as tmp:
        published = json.loads(_npm("view", spec, "time", "--json", cwd=tmp))[version]
        tarball = _npm("pack", spec, "--silent", cwd=tmp).strip().splitlines()[-1]
        with tarfile.open(pathlib.Path(tmp) / tarball) as archive:
            archive.extractall(tmp, filter="data")
        yield pathlib.Path(tmp) / "package", published[:10]
