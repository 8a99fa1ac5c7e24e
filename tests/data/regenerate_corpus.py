"""Regenerate tests/data/corpus-rsconnect/ with the installed rsconnect-python (1.32).

Run from the repository root: `python tests/data/regenerate_corpus.py`. For each app of
tests/data/corpus.json it copies tests/data/corpus/NAME to a temporary directory and runs
`rsconnect write-manifest TYPE DIR [-e ENTRYPOINT] [-r SOURCE]`, then keeps the manifest
(and the requirements file rsconnect generated, if any) as fixtures. rsconnect 1.32 cannot
read pylock.toml or PEP 723 metadata: for those apps the requirements.txt connectfile
generates is written into the copy first, so rsconnect describes the same bundle.
"""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DATA = Path(__file__).parent
OUT = DATA / "corpus-rsconnect"


def main() -> None:
    sys.path.insert(0, str(DATA.parent.parent))
    from connectfile.bundle import requirements as deps

    corpus = json.loads((DATA / "corpus.json").read_text())
    OUT.mkdir(exist_ok=True)
    for name, spec in sorted(corpus.items()):
        with tempfile.TemporaryDirectory() as tmp:
            app = Path(tmp) / name
            shutil.copytree(DATA / "corpus" / name, app)
            args = ["rsconnect", "write-manifest", spec["type"], str(app)]
            if spec["entrypoint"]:
                args += ["-e", spec["entrypoint"]]
            script = spec["entrypoint"] if (spec["entrypoint"] or "").endswith(".py") else None
            files = {p.name for p in app.iterdir()}
            source = deps.choose(None, lambda r: (app / r).read_text() if (app / r).is_file()
                                 else None, script or _script(app))
            if source.kind in ("uv", "pyproject"):
                args += ["-r", source.path]
            elif source.kind in ("pylock", "script"):
                (app / source.dest).write_bytes(deps.convert(source, lambda r: (app / r).read_text()))
            done = subprocess.run(args, capture_output=True, text=True,
                                  env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
                                       "LANG": "C.UTF-8", "HOME": tmp})
            if done.returncode:
                raise SystemExit(f"{name}: {done.stdout}{done.stderr}")
            manifest = json.loads((app / "manifest.json").read_text())
            (OUT / f"{name}.json").write_text(json.dumps(manifest, indent=2) + "\n")
            package_file = manifest["python"]["package_manager"]["package_file"]
            if package_file not in files:
                shutil.copy(app / package_file, OUT / f"{name}.{package_file}")
            print(name, manifest["metadata"])


def _script(app: Path) -> str | None:
    top = sorted(p.name for p in app.glob("*.py"))
    return top[0] if len(top) == 1 else None


if __name__ == "__main__":
    main()
