"""Atomic, checksummed checkpoints of the search state, as JSON (never pickle: loading one runs no code).

A checkpoint holds what the loop needs to go on exactly where it was: the generation counter, the
population (keys and scores; trees are parsed back from keys), the children still being evaluated
when it was taken mid-generation, the search generator's state, how many rows of the evaluation log
precede it, the elapsed budget, the early-stop counter and the pending children's lineage (a checkpoint
without it, from before lineage was recorded, loads with none). It is
written to a temporary file and renamed over the old one, so a crash mid-write leaves the previous
checkpoint intact; a checksum catches a truncated or edited file.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path

from gp_automl.errors import RunDirError
from gp_automl.lineage import Lineage
from gp_automl.rundir import atomic_write_text
from gp_automl.tree import parse

CHECKPOINT = "checkpoint.json"
FORMAT = "gp_automl-checkpoint/2"


@dataclass(frozen=True)
class SearchState:
    generation: int  # the last finished generation, or the one in progress when ``pending``
    population: tuple[tuple[str, float], ...]
    rng_state: tuple
    logged: int
    elapsed: float
    stale_generations: int
    pending: tuple[str, ...] = ()  # children of the generation in progress (mid-generation checkpoint)
    pending_lineage: tuple[tuple[str, Lineage], ...] = ()  # how the pending children not yet logged were made


def save_checkpoint(path: str | Path, state: SearchState) -> None:
    body = asdict(state)
    body["population"] = [list(pair) for pair in state.population]
    body["rng_state"] = [state.rng_state[0], list(state.rng_state[1]), state.rng_state[2]]
    body["pending_lineage"] = {key: [list(made.parents), made.variation] for key, made in state.pending_lineage}
    document = {"format": FORMAT, "sha256": _digest(body), "state": body}
    atomic_write_text(Path(path), json.dumps(document, separators=(",", ":")))


def load_checkpoint(path: str | Path) -> SearchState:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        body = document["state"]
        if document.get("format") != FORMAT:
            raise RunDirError(f"{path} is not a gp_automl checkpoint of format {FORMAT}")
        if document.get("sha256") != _digest(body):
            raise RunDirError(f"{path} is damaged or was edited (checksum mismatch); it cannot be resumed from")
        version, internal, gauss = body["rng_state"]
        random.Random().setstate((version, tuple(internal), gauss))  # a state Python accepts, or ValueError
        for key in [key for key, _ in body["population"]] + list(body["pending"]):
            parse(key)  # keys are parsed, never evaluated; a key that is not a pipeline is damage
        return SearchState(
            generation=int(body["generation"]),
            population=tuple((str(key), float(score)) for key, score in body["population"]),
            rng_state=(version, tuple(internal), gauss),
            logged=int(body["logged"]),
            elapsed=float(body["elapsed"]),
            stale_generations=int(body["stale_generations"]),
            pending=tuple(str(key) for key in body["pending"]),
            pending_lineage=tuple(
                (str(key), Lineage(tuple(str(p) for p in parents), str(variation)))
                for key, (parents, variation) in body.get("pending_lineage", {}).items()
            ),
        )
    except FileNotFoundError:
        raise RunDirError(f"no checkpoint at {path}") from None
    except IsADirectoryError:
        raise RunDirError(f"{path} is a directory, not a checkpoint") from None
    except (
        UnicodeDecodeError,
        json.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        RecursionError,
    ) as exc:
        raise RunDirError(f"{path} is damaged and cannot be resumed from ({type(exc).__name__})") from None
    except RunDirError:
        raise
    except OSError as exc:
        raise RunDirError(f"{path} cannot be read ({exc.strerror})") from None


def _digest(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
