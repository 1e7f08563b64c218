"""The validation Lambda's deployment package, built reproducibly from pinned wheels — no third-party code committed.

What ships: this package's handler (as `restore_validation/`) and the pure-Python distributions pinned in
requirements.txt (pg8000 and what it imports), copied file by file from the wheels `make setup` installed into the
venv (requirements.txt / constraints.txt pin the same versions). Every copied file is checked against the sha256 its
wheel's RECORD lists, so the package holds exactly the published wheel bytes; a wrong version or a modified file is
a PackagingError naming it. Compiled caches, console scripts and install metadata (RECORD, INSTALLER) stay out.

The program hands `archive()` to aws.lambda_.Function; Pulumi hashes its content, so the function is only updated
when a pin or the handler changes. To inspect the bytes, or attach them to a change:

    python -m lambdas.restore_validation.package --output build/restore-validation.zip

writes the same files as a zip (entries sorted, timestamps fixed, so equal inputs give an identical file) and prints
its sha256.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata
import re
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pulumi

HERE = Path(__file__).resolve().parent
REQUIREMENTS = HERE / "requirements.txt"
HANDLER = "restore_validation.handler.handler"
RUNTIME = "python3.12"  # pure-Python dependencies: any CPython 3 runtime; pinned so updates are deliberate
ARCHITECTURE = "arm64"
HANDLER_FILES = ("__init__.py", "handler.py")
_SKIPPED_METADATA = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


class PackagingError(RuntimeError):
    """The installed dependencies are not the pinned wheels; `str()` says which and what to do."""


def pins(path: Path | None = None) -> dict[str, str]:
    """{distribution: version} from requirements.txt (`name==version` lines)."""
    path = path or REQUIREMENTS
    out = {}
    for line in path.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)==([A-Za-z0-9_.+-]+)", text)
        if not m:
            raise PackagingError(f"{path.name}: expected name==version, got {text!r}")
        out[m.group(1)] = m.group(2)
    return out


def _record_hash(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _shipped(relative: str) -> bool:
    parts = relative.split("/")
    if parts[0] == ".." or "__pycache__" in parts or relative.endswith((".pyc", ".pyo")):
        return False
    return not (parts[0].endswith(".dist-info") and parts[-1] in _SKIPPED_METADATA)


def files() -> dict[str, Path]:
    """{path inside the package: file on disk}, every dependency file verified against its wheel RECORD."""
    out = {f"restore_validation/{name}": HERE / name for name in HANDLER_FILES}
    for name, version in pins().items():
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise PackagingError(f"{name}=={version} is not installed; run `make setup`") from None
        if dist.version != version:
            raise PackagingError(f"{name} {dist.version} is installed but the Lambda pins {version}; run `make setup`")
        for entry in dist.files or ():
            relative = entry.as_posix()
            if not _shipped(relative):
                continue
            source = Path(str(entry.locate()))
            if entry.hash is None:
                raise PackagingError(f"{name}: {relative} has no hash in the wheel RECORD")
            if _record_hash(source) != f"{entry.hash.mode}={entry.hash.value}":
                raise PackagingError(f"{name}: {relative} differs from the {name}=={version} wheel (RECORD hash)")
            out[relative] = source
    return dict(sorted(out.items()))


def archive() -> pulumi.AssetArchive:
    """The package as a pulumi.AssetArchive (what aws.lambda_.Function `code` takes)."""
    import pulumi

    return pulumi.AssetArchive({path: pulumi.FileAsset(str(source)) for path, source in files().items()})


def write_zip(output: Path) -> str:
    """Write the package as a deterministic zip; its sha256 (hex)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path, source in files().items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, source.read_bytes())
    return hashlib.sha256(output.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdas.restore_validation.package", description=__doc__)
    parser.add_argument("--output", type=Path, required=True, help="zip file to write (directories are created)")
    args = parser.parse_args(argv)
    try:
        digest = write_zip(args.output)
    except PackagingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{args.output}  sha256:{digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
