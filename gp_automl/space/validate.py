"""Check a parsed operator against the class it names, so a bad catalog costs seconds, not a night.

The static checks in ``catalog`` cannot tell that a parameter does not exist, that a range end is
out of scikit-learn's bounds, or that a regressor sits in a classification catalog; each of those
would otherwise surface only as failed evaluations after the whole search. Here the class is
imported and asked. Only import paths that passed the trust check (``resolve.is_allowed``) ever
reach this module, so nothing untrusted is imported.

Values are checked with scikit-learn's own parameter validation (``_parameter_constraints``) where
the class declares it, else by constructing the operator and reading the value back with
``get_params``. Results are cached per class and value: the default catalogs share most classes.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from gp_automl.errors import CatalogError
from gp_automl.space.domains import Choice, Domain, FloatRange, IntRange
from gp_automl.space.spec import ObjectRef, OperatorSpec

CLASSIFICATION, REGRESSION = "classification", "regression"


class _Problem(Exception):
    """What is wrong with one operator, said without the file and operator (added by the caller)."""


def import_trusted(import_path: str) -> Any:
    """The object ``a.b.C`` names; ``import_path`` must already have passed the trust check."""
    module, _, name = import_path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise _Problem(f"import path {import_path!r} does not resolve ({_one_line(exc)})") from None


def check_resolves(path: Path, where: str, import_path: str) -> None:
    """CatalogError unless the (trusted) ``import_path`` can be imported."""
    try:
        _imported(import_path)
    except _Problem as problem:
        raise CatalogError(f"{path}: {where}: {problem}") from None


def check_task(path: Path, models: Iterable[OperatorSpec], task: str) -> None:
    """Refuse a catalog none of whose models fits ``task`` (a regression catalog for a
    classification target, say) with one line about the catalog rather than its first model."""
    models = list(models)
    kinds = {}
    for spec in models:
        try:
            kinds[spec.name] = model_task(spec.import_path, spec.fixed)
        except _Problem:
            kinds[spec.name] = None  # check_operator says what is wrong with it, naming the parameter
    found = set(kinds.values())
    if models and task not in found and len(found) == 1 and None not in found:
        other = found.pop()
        raise CatalogError(
            f"{path}: a {other} catalog (its models are {_model_noun(other)}s: {', '.join(list(kinds)[:5])}) "
            f"cannot be used for {task}; use a {task} catalog (e.g. --operators default) or --task {other}"
        )


def check_operator(path: Path, spec: OperatorSpec, task: str) -> None:
    """Refuse an operator whose parameters, values or role do not fit its class (CatalogError,
    naming the file, the operator and the parameter)."""
    where = f"operator {spec.name}"
    try:
        cls = _imported(spec.import_path)
        _parameter_names(spec.import_path)
    except _Problem as problem:
        raise CatalogError(f"{path}: {where}: {problem}") from None
    for key, value in spec.fixed:
        _check_parameter(path, f"{where}: fixed.{key}", cls, spec.import_path, key, ((_shown(value), value),))
    for key, domain in spec.params:
        _check_parameter(path, f"{where}: param {key}", cls, spec.import_path, key, _domain_values(domain))
    try:
        _check_role(spec.import_path, spec.role, task, spec.fixed)
    except _Problem as problem:
        raise CatalogError(f"{path}: {where}: {problem}") from None


def model_task(import_path: str, fixed: tuple[tuple[str, Any], ...]) -> str | None:
    """``classification``, ``regression`` or None for a model class, built from its fixed arguments."""
    from sklearn.base import is_classifier, is_regressor

    _parameter_names(import_path)  # refuses what is not an estimator class at all, first
    instance = _instance(import_path, fixed)
    try:
        classifier, regressor = is_classifier(instance), is_regressor(instance)
    except Exception as exc:  # noqa: BLE001 - scikit-learn's tags may raise anything for a foreign class
        raise _Problem(f"scikit-learn cannot tell what {import_path} is ({_one_line(exc)[:200]})") from None
    return CLASSIFICATION if classifier else REGRESSION if regressor else None


def _check_parameter(
    path: Path, where: str, cls: type, import_path: str, key: str, values: tuple[tuple[str, Any], ...]
) -> None:
    """``values``: (how the message shows it, value) pairs."""
    names = _parameter_names(import_path)
    if names is not None and key not in names:
        close = difflib.get_close_matches(key, sorted(names), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(sorted(names))
        raise CatalogError(f"{path}: {where}: {cls.__name__} has no parameter {key!r}{hint} (its parameters: {listed})")
    for shown, value in values:
        try:
            problem = _value_problem(import_path, key, value)
        except _Problem as inner:
            raise CatalogError(f"{path}: {where}: {inner}") from None
        if problem:
            raise CatalogError(f"{path}: {where}: {shown} is refused by {cls.__name__}: {problem}")


def _domain_values(domain: Domain) -> tuple[tuple[str, Any], ...]:
    """The values that stand for a domain: every choice, or both ends of a range (each can be drawn)."""
    if isinstance(domain, Choice):
        return tuple((f"choice {value!r}", value) for value in domain.values)
    if isinstance(domain, (IntRange, FloatRange)):
        bounds = f"[{domain.low!r}, {domain.high!r}]"
        return (
            (f"low end {domain.low!r} of {bounds}", domain.low),
            (f"high end {domain.high!r} of {bounds}", domain.high),
        )
    raise TypeError(f"unknown domain {domain!r}")


def _shown(value: Any) -> str:
    if isinstance(value, ObjectRef):
        return f"{value.import_path}" if value.kwargs is None else f"{value.import_path}(...)"
    return f"value {value!r}"


@lru_cache(maxsize=512)
def _imported(import_path: str) -> Any:
    return import_trusted(import_path)


@lru_cache(maxsize=512)
def _parameter_names(import_path: str) -> frozenset[str] | None:
    """What ``get_params`` reports for the class, or None when its constructor takes ``**kwargs``
    (xgboost, lightgbm pass unknown names on to their library, which decides)."""
    cls = _imported(import_path)
    if not isinstance(cls, type) or not callable(getattr(cls, "get_params", None)):
        raise _Problem(f"{import_path} is not a scikit-learn estimator class (it has no get_params)")
    try:
        signature = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        signature = None
    if signature and any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values()):
        return None
    getter = getattr(cls, "_get_param_names", None)
    try:
        return frozenset(getter()) if getter else frozenset(_construct(cls, {}).get_params(deep=False))
    except Exception as exc:  # noqa: BLE001 - a user's class may raise anything; say what it was
        raise _Problem(f"cannot list the parameters of {import_path} ({_one_line(exc)})") from None


@lru_cache(maxsize=4096, typed=True)
def _value_problem(import_path: str, key: str, value: Any) -> str | None:
    """Why the class refuses ``key=value``, in scikit-learn's words, or None when it accepts it."""
    from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

    cls = _imported(import_path)
    live = _live(value)
    constraints = getattr(cls, "_parameter_constraints", None)
    if isinstance(constraints, dict) and key in constraints:
        try:
            validate_parameter_constraints({key: constraints[key]}, {key: live}, caller_name=cls.__name__)
        except InvalidParameterError as exc:
            return _one_line(exc)
        return None
    try:  # no declared constraints: the constructor and get_params must at least take it and give it back
        made = _construct(cls, {key: live})
        given = made.get_params(deep=False).get(key, live)
    except _Problem as problem:
        return str(problem)
    except Exception as exc:  # noqa: BLE001 - a user's class may raise anything; say what it was
        return f"get_params failed ({_one_line(exc)})"
    if given is not live and given != live:
        return f"it comes back from get_params as {given!r}"
    return None


def _live(value: Any) -> Any:
    """A fixed value as the operator receives it: an ObjectRef becomes the object (or a new instance)."""
    if not isinstance(value, ObjectRef):
        return value
    target = _imported(value.import_path)
    if value.kwargs is None:
        return target
    where = f"{value.import_path}"
    for key, argument in value.kwargs:
        names = _parameter_names(value.import_path)
        if names is not None and key not in names:
            raise _Problem(f"{where} has no parameter {key!r} (its parameters: {', '.join(sorted(names))})")
        problem = _value_problem(value.import_path, key, argument)
        if problem:
            raise _Problem(f"{where}: value {argument!r} of {key!r} is refused: {problem}")
    return _construct(target, dict(value.kwargs))


def _construct(cls: Any, kwargs: dict[str, Any]) -> Any:
    try:
        return cls(**kwargs)
    except Exception as exc:  # noqa: BLE001 - a user's class may raise anything; say what it was
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        raise _Problem(f"{getattr(cls, '__name__', cls)}({shown}) cannot be constructed ({_one_line(exc)})") from None


@lru_cache(maxsize=512, typed=True)
def _instance(import_path: str, fixed: tuple[tuple[str, Any], ...]) -> Any:
    return _construct(_imported(import_path), {key: _live(value) for key, value in fixed})


def _check_role(import_path: str, role: str, task: str, fixed: tuple[tuple[str, Any], ...]) -> None:
    instance = _instance(import_path, fixed)
    short = import_path.rsplit(".", 1)[1]
    if role == "model":
        kind = model_task(import_path, fixed)
        if kind is None:
            use = ' use role = "transformer"' if hasattr(instance, "transform") else ""
            raise _Problem(f'role = "model", but {short} is neither a classifier nor a regressor;{use or " remove it"}')
        if kind != task:
            noun = "regressor" if kind == REGRESSION else "classifier"
            raise _Problem(f"{short} is a {noun}, and this catalog is loaded for {task}; use a {_model_noun(task)}")
        return
    if not hasattr(instance, "transform"):
        use = 'use role = "model"' if hasattr(instance, "predict") else "it cannot be a pipeline step"
        raise _Problem(f'role = "{role}", but {short} has no transform method; {use}')
    if role == "selector" and not hasattr(instance, "get_support"):
        raise _Problem(f'role = "selector", but {short} has no get_support method; use role = "transformer"')


def _model_noun(task: str) -> str:
    return "classifier" if task == CLASSIFICATION else "regressor"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
