"""The run directory on disk: atomic writes, and refusing to write over someone else's run.

Layout (contract): run.json, evaluations.sqlite (the log, see ``journal``), evaluations.csv,
checkpoint.json, search.log, pareto_front.csv, best_pipeline.py, model.pkl and its checksum
model.pkl.sha256 (``sha256sum -c`` reads it). Every file is written to a temporary name in the same
directory and renamed into place, so a crash leaves either the old file or the new one, never half
of one. The model is unpickled only from a run directory the user named, and only when its bytes
match the checksum: a truncated or altered pickle is refused before ``pickle`` sees it. The
checksum catches damage, not malice (anyone who can write the pickle can rewrite the checksum),
so load models only from run directories you trust (docs/trust.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from gp_automl.errors import RunDirError

RUN_JSON = "run.json"
EVALUATIONS = "evaluations.csv"
PARETO_FRONT = "pareto_front.csv"
BEST_PIPELINE = "best_pipeline.py"
MODEL = "model.pkl"
MODEL_DIGEST = "model.pkl.sha256"
SEARCH_LOG = "search.log"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


class RunDir:
    def __init__(self, path: str | Path):
        self.path = Path(path)

    def check_new(self) -> None:
        """Refuse a place that holds a run already, or is not a directory, before any work starts."""
        if (self.path / RUN_JSON).exists():
            raise RunDirError(
                f"{self.path} already holds a run (run.json); choose another output directory or resume it"
            )
        if self.path.exists() and not self.path.is_dir():
            raise RunDirError(f"{self.path} exists and is not a directory")

    def create(self) -> RunDir:
        """Make the directory; an existing run there is an error, never overwritten."""
        self.check_new()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(f"cannot create run directory {self.path}: {exc.strerror}") from None
        return self

    def file(self, name: str) -> Path:
        return self.path / name

    def write_json(self, name: str, data: dict[str, Any]) -> None:
        atomic_write_text(self.file(name), json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")

    def read_json(self, name: str = RUN_JSON) -> dict[str, Any]:
        try:
            data = json.loads(self.file(name).read_text(encoding="utf-8"))
        except FileNotFoundError:
            if not self.path.exists():
                raise RunDirError(f"run directory {self.path} does not exist; give the folder a search wrote") from None
            raise RunDirError(f"{self.path} is not a gp_automl run directory (no {name})") from None
        except NotADirectoryError:
            raise RunDirError(f"{self.path} is a file, not a run directory") from None
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise RunDirError(f"{self.file(name)} is damaged: {type(exc).__name__}: {exc}"[:300]) from None
        if not isinstance(data, dict):
            raise RunDirError(f"{self.file(name)} is damaged: not a JSON object")
        return data

    def read_run(self) -> dict[str, Any]:
        """run.json with the fields every command relies on checked, so a damaged one is one clear error."""
        info = self.read_json(RUN_JSON)
        shapes = {"task": str, "settings": dict, "data": dict, "seed": int, "catalog": str}
        for field, kind in shapes.items():
            if not isinstance(info.get(field), kind):
                raise RunDirError(f"{self.file(RUN_JSON)} lacks a valid {field!r}: damaged, or not ours")
        return info

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        atomic_write_text(self.file(name), frame.to_csv(index=False))

    def write_text(self, name: str, text: str) -> None:
        atomic_write_text(self.file(name), text)

    def write_model(self, model: Any) -> None:
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(self.file(MODEL), data)
        atomic_write_text(self.file(MODEL_DIGEST), f"{hashlib.sha256(data).hexdigest()}  {MODEL}\n")

    def read_model(self) -> Any:
        """Unpickle the refit model; only ever from a run directory the user named, and only when
        its bytes match ``model.pkl.sha256``."""
        try:
            data = self.file(MODEL).read_bytes()
        except FileNotFoundError:
            raise RunDirError(f"{self.path} has no saved model ({MODEL})") from None
        try:
            recorded = self.file(MODEL_DIGEST).read_text(encoding="ascii").split()[0]
        except (FileNotFoundError, UnicodeDecodeError, IndexError):
            raise RunDirError(
                f"{self.file(MODEL)} has no readable checksum ({MODEL_DIGEST}), so it is not loaded; "
                "refit the exported best_pipeline.py instead"
            ) from None
        if hashlib.sha256(data).hexdigest() != recorded:
            raise RunDirError(
                f"{self.file(MODEL)} does not match its checksum ({MODEL_DIGEST}): truncated or altered, not loaded"
            )
        try:
            return pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 - e.g. a class that moved between library versions
            raise RunDirError(f"{self.file(MODEL)} could not be loaded: {type(exc).__name__}: {exc}"[:300]) from None
