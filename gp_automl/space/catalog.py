"""Load and validate operator catalogs (TOML files under ``operators/`` or a user's own file).

A path outside the allowed packages (``resolve.ALLOWED_PACKAGES``) is refused before anything
looks for it, unless the user opted its module in with ``allow_modules``: a catalog from elsewhere
cannot make us run its code. Fields, ranges and import paths are then checked statically; with
``validate`` (every load that precedes a search) each trusted operator class is also imported and
asked whether it takes the catalog's parameters and values and fits its role and the task
(``validate``), so a bad entry is refused before any cluster starts.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from gp_automl.errors import CatalogError
from gp_automl.space.domains import Choice, Domain, FloatRange, IntRange
from gp_automl.space.resolve import ALLOWED_PACKAGES, check_module_names, is_allowed, package_installed, resolves
from gp_automl.space.spec import ObjectRef, OperatorSpec
from gp_automl.space.validate import check_operator, check_resolves, check_task
from gp_automl.tree import COMBINE, DATA, PipelineTree, parse

ROLES = ("transformer", "selector", "model")
_CATALOG_FIELDS = {"description", "include", "start"}
_OPERATOR_FIELDS = {"import", "role", "stack", "fixed", "params"}
_DOMAIN_FIELDS = {"choices", "none", "int", "float", "log"}
_SCALARS = (str, int, float, bool)
RESERVED_NAMES = {"X", "Combine"}


def shipped_catalog_dir() -> Path:
    """The ``operators/`` folder: next to the package in a checkout, inside it when installed."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "operators", here.parent / "operators"):
        if candidate.is_dir():
            return candidate
    return here.parent / "operators"


@dataclass(frozen=True)
class Catalog:
    name: str
    path: str
    description: str
    operators: tuple[OperatorSpec, ...]
    skipped: tuple[str, ...] = field(default=())
    start: tuple[PipelineTree, ...] = ()  # well-tried pipelines the initial population begins with

    def __getitem__(self, name: str) -> OperatorSpec:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, OperatorSpec]:
        return {spec.name: spec for spec in self.operators}

    @property
    def models(self) -> tuple[OperatorSpec, ...]:
        return tuple(s for s in self.operators if s.is_model)

    @property
    def transformers(self) -> tuple[OperatorSpec, ...]:
        return tuple(s for s in self.operators if not s.is_model)


def catalog_path(operators: str | Path, task: str) -> Path:
    """``"default"`` -> the shipped ``default-<task>.toml``; anything with a suffix is a file."""
    text = str(operators)
    if text.endswith(".toml") or "/" in text or "\\" in text:
        return Path(text)
    return shipped_catalog_dir() / f"{text}-{task}.toml"


def load_catalog(operators: str | Path, task: str, allow_modules: Iterable[str] = (), validate: bool = True) -> Catalog:
    """Read, merge includes, validate. Raises CatalogError naming the file and the operator.

    ``allow_modules``: modules (``"mylab"``, ``"mylab.models"``) trusted besides ALLOWED_PACKAGES.
    ``validate``: import each (trusted) operator class and check the entries against it and the
    task; ``export`` and ``report`` of a finished run skip it (see ``cli._export``).
    """
    try:
        allow = check_module_names(allow_modules)
    except ValueError as exc:
        raise CatalogError(f"allow_modules: {exc}") from None
    path = catalog_path(operators, task)
    if not path.is_file():
        shipped = sorted(p.stem.rsplit("-", 1)[0] for p in shipped_catalog_dir().glob("*-*.toml"))
        raise CatalogError(
            f"operator catalog {path} not found; use a shipped name ({', '.join(sorted(set(shipped)))})"
            " or the path of a .toml file"
        )
    raw_ops: dict[str, tuple[Path, dict]] = {}
    description, raw_start = _read_into(path, raw_ops, seen=())
    specs, skipped, sources = [], [], {}
    for name, (source, raw) in raw_ops.items():
        spec = _parse_operator(source, name, raw, allow)
        if spec is None:
            skipped.append(name)
            continue
        specs.append(spec)
        sources[name] = source
    if not any(s.is_model for s in specs):
        raise CatalogError(f'{path}: the catalog has no usable operator with role = "model"')
    if validate:
        check_task(path, [s for s in specs if s.is_model], task)
        for spec in specs:
            check_operator(sources[spec.name], spec, task)
    start = _parse_start(path, raw_start, {s.name: s for s in specs}, set(skipped))
    return Catalog(str(operators), str(path), description, tuple(specs), tuple(skipped), start)


def _read_into(path: Path, raw_ops: dict, seen: tuple[Path, ...]) -> tuple[str, Any]:
    """Merge ``path`` and its includes into ``raw_ops``; return its description and start list."""
    path = path.resolve()
    if path in seen:
        raise CatalogError(f"{path}: include cycle ({' -> '.join(str(p) for p in (*seen, path))})")
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: not a valid TOML file ({exc})") from None
    except OSError as exc:
        raise CatalogError(f"{path}: cannot be read ({exc.strerror})") from None
    unknown = set(document) - {"catalog", "operators"}
    if unknown:
        raise CatalogError(
            f"{path}: unknown top-level table(s) {sorted(unknown)}; expected [catalog] and [operators.NAME]"
        )
    header = document.get("catalog", {})
    _check_fields(path, "[catalog]", header, _CATALOG_FIELDS)
    description = header.get("description", "")
    includes = header.get("include", [])
    if not isinstance(includes, list) or not all(isinstance(i, str) for i in includes):
        raise CatalogError(f"{path}: [catalog] include must be a list of file names")
    for include in includes:
        target = path.parent / include
        if not target.is_file():
            raise CatalogError(f"{path}: included file {include!r} not found next to it")
        _read_into(target, raw_ops, (*seen, path))
    operators = document.get("operators", {})
    if not isinstance(operators, dict):
        raise CatalogError(f"{path}: 'operators' must be a table of [operators.NAME] entries")
    for name, raw in operators.items():
        if name in raw_ops and raw_ops[name][0] != path:
            raise CatalogError(f"{path}: operator {name} is also defined in {raw_ops[name][0]}")
        raw_ops[name] = (path, raw)
    return description, header.get("start", [])


def _parse_start(path: Path, raw: Any, specs: dict[str, OperatorSpec], skipped: set[str]) -> tuple[PipelineTree, ...]:
    """The ``[catalog] start`` pipelines, checked against the operators; those naming an operator
    whose library is not installed are left out, as the operator is."""
    if not isinstance(raw, list) or not all(isinstance(key, str) for key in raw):
        raise CatalogError(f"{path}: [catalog] start must be a list of pipeline strings")
    trees = []
    for key in raw:
        try:
            tree = parse(key)
        except ValueError as exc:
            raise CatalogError(f"{path}: [catalog] start: {exc}") from None
        if any(node.op in skipped for node in tree.walk()):
            continue
        problem = _start_problem(tree, specs, root=True)
        if problem:
            raise CatalogError(f"{path}: [catalog] start: {key!r}: {problem}")
        trees.append(tree)
    return tuple(trees)


def _start_problem(tree: PipelineTree, specs: dict[str, OperatorSpec], root: bool) -> str | None:
    if tree.op == DATA:
        return None if not root and not tree.params and not tree.children else "X must be a leaf under a model"
    if tree.op == COMBINE:
        if root or len(tree.children) != 2 or tree.params:
            return "Combine joins exactly two branches, below the model"
    elif tree.op not in specs:
        return f"unknown operator {tree.op!r} (a data variant such as X_ordinal depends on the data: use X)"
    else:
        spec = specs[tree.op]
        if root != spec.is_model and not (spec.is_model and spec.stack):
            return f"{tree.op} cannot be {'the root' if root else 'inside the pipeline'}"
        if len(tree.children) != 1:
            return f"{tree.op} takes one input"
        given, wanted = dict(tree.params), dict(spec.params)
        if set(given) != set(wanted):
            return f"{tree.op} needs exactly the parameters {sorted(wanted)}, got {sorted(given)}"
        for name, value in given.items():
            if not wanted[name].contains(value):
                return f"{tree.op}: {name}={value!r} is outside its domain {wanted[name]}"
    return next((p for p in (_start_problem(c, specs, root=False) for c in tree.children) if p), None)


def _check_fields(path: Path, where: str, table: Any, allowed: set[str]) -> None:
    if not isinstance(table, dict):
        raise CatalogError(f"{path}: {where} must be a table")
    unknown = set(table) - allowed
    if unknown:
        raise CatalogError(f"{path}: {where}: unknown field(s) {sorted(unknown)}; allowed: {sorted(allowed)}")


def _parse_operator(path: Path, name: str, raw: Any, allow: tuple[str, ...]) -> OperatorSpec | None:
    where = f"operator {name}"
    if not name.isidentifier() or name in RESERVED_NAMES or name.startswith("X_"):
        raise CatalogError(
            f"{path}: {where}: the name must be a Python identifier other than X, X_... (data leaves) or Combine"
        )
    _check_fields(path, where, raw, _OPERATOR_FIELDS)
    import_path = raw.get("import")
    if not isinstance(import_path, str) or "." not in import_path:
        raise CatalogError(f"{path}: {where}: 'import' must be a dotted path such as sklearn.svm.SVC")
    role = raw.get("role")
    if role not in ROLES:
        raise CatalogError(f"{path}: {where}: role must be one of {list(ROLES)}, got {role!r}")
    stack = raw.get("stack", True)
    if not isinstance(stack, bool):
        raise CatalogError(f"{path}: {where}: stack must be true or false")
    _check_trusted(path, where, import_path, allow)
    if not package_installed(import_path):
        return None  # listed in Catalog.skipped; the estimator tells the user
    _check_import(path, where, import_path)
    fixed_raw = raw.get("fixed", {})
    _check_fields(path, f"{where}: fixed", fixed_raw, set(fixed_raw) if isinstance(fixed_raw, dict) else set())
    fixed = tuple(
        sorted((key, _parse_fixed(path, f"{where}: fixed.{key}", value, allow)) for key, value in fixed_raw.items())
    )
    params_raw = raw.get("params", {})
    _check_fields(path, f"{where}: params", params_raw, set(params_raw) if isinstance(params_raw, dict) else set())
    params = tuple(
        sorted((key, _parse_domain(path, f"{where}: param {key}", value)) for key, value in params_raw.items())
    )
    both = {k for k, _ in fixed} & {k for k, _ in params}
    if both:
        raise CatalogError(f"{path}: {where}: {sorted(both)} cannot be both fixed and searched")
    for key in [k for k, _ in fixed] + [k for k, _ in params]:
        if not key.isidentifier():
            raise CatalogError(f"{path}: {where}: parameter name {key!r} is not an identifier")
    return OperatorSpec(name, import_path, role, params, fixed, stack and role == "model")


def _check_trusted(path: Path, where: str, import_path: str, allow: tuple[str, ...]) -> None:
    if not is_allowed(import_path, allow):
        module = import_path.rpartition(".")[0]
        raise CatalogError(
            f"{path}: {where}: {import_path!r} is outside the trusted packages ({', '.join(ALLOWED_PACKAGES)}) "
            f"and was not imported; if you trust it, opt in with --allow-module {module} "
            f"(Python: allow_modules=[{module!r}])"
        )


def _check_import(path: Path, where: str, import_path: str) -> None:
    if not resolves(import_path):  # read from the source; a name bound at run time (os.system) needs an import
        check_resolves(path, where, import_path)


def _parse_fixed(path: Path, where: str, value: Any, allow: tuple[str, ...]) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        if set(value) == {"object"}:
            _check_trusted(path, where, _text(path, where, value["object"]), allow)
            _check_import(path, where, value["object"])
            return ObjectRef(value["object"])
        if set(value) <= {"estimator", "kwargs"} and "estimator" in value:
            _check_trusted(path, where, _text(path, where, value["estimator"]), allow)
            _check_import(path, where, value["estimator"])
            kwargs = value.get("kwargs", {})
            if not isinstance(kwargs, dict) or not all(isinstance(v, _SCALARS) for v in kwargs.values()):
                raise CatalogError(f"{path}: {where}: kwargs must be a table of plain values")
            return ObjectRef(value["estimator"], tuple(sorted(kwargs.items())))
    raise CatalogError(
        f"{path}: {where}: a fixed value must be a string, number, boolean, "
        '{ object = "a.b.c" } or { estimator = "a.b.C", kwargs = {...} }'
    )


def _text(path: Path, where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise CatalogError(f"{path}: {where}: expected an import path string")
    return value


def _parse_domain(path: Path, where: str, raw: Any) -> Domain:
    _check_fields(path, where, raw, _DOMAIN_FIELDS)
    kinds = [k for k in ("choices", "int", "float") if k in raw]
    if len(kinds) != 1:
        raise CatalogError(
            f"{path}: {where}: give exactly one of choices = [...], int = [low, high], float = [low, high]"
        )
    kind = kinds[0]
    if kind == "choices":
        if "log" in raw:
            raise CatalogError(f"{path}: {where}: 'log' applies to int and float ranges only")
        values = raw["choices"]
        if not isinstance(values, list) or not all(isinstance(v, _SCALARS) for v in values):
            raise CatalogError(f"{path}: {where}: choices must be a list of strings, numbers or booleans")
        if raw.get("none", False):
            values = [*values, None]
        if not values:
            raise CatalogError(f"{path}: {where}: choices is empty")
        if len(set(map(repr, values))) != len(values):
            raise CatalogError(f"{path}: {where}: choices has duplicates")
        return Choice(tuple(values))
    if "none" in raw:
        raise CatalogError(f"{path}: {where}: 'none' applies to choices only")
    bounds = raw[kind]
    number = int if kind == "int" else (int, float)
    if (
        not isinstance(bounds, list)
        or len(bounds) != 2
        or not all(isinstance(b, number) and not isinstance(b, bool) for b in bounds)
    ):
        raise CatalogError(f"{path}: {where}: {kind} must be [low, high] with {kind} bounds")
    low, high = bounds
    if not all(math.isfinite(b) for b in bounds):  # TOML has inf and nan; a draw from them is no value
        raise CatalogError(f"{path}: {where}: {kind} bounds must be finite numbers, got [{low}, {high}]")
    if low > high:
        raise CatalogError(f"{path}: {where}: range [{low}, {high}] is inverted (low > high)")
    log = raw.get("log", False)
    if not isinstance(log, bool):
        raise CatalogError(f"{path}: {where}: log must be true or false")
    if log and low <= 0:
        raise CatalogError(f"{path}: {where}: a log range needs low > 0, got {low}")
    if kind == "int":
        return IntRange(low, high, log)
    if low == high:
        raise CatalogError(f"{path}: {where}: float range [{low}, {high}] is empty; use fixed instead")
    return FloatRange(float(low), float(high), log)
