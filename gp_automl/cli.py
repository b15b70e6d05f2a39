"""Command line: ``gp-automl fit | resume | export | report | predict``.

Errors become one line on stderr and an exit code."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from datetime import datetime
from pathlib import Path

import pandas as pd

from gp_automl.allocator import fix_malloc_thresholds
from gp_automl.config import AS_PYTHON, AUTO, DEFAULTS, SETTINGS, make_settings
from gp_automl.dasklogs import dask_logs_to
from gp_automl.data import infer_task, read_table, split_target
from gp_automl.drift import DRIFT_EXIT, compare
from gp_automl.drift import table as drift_table
from gp_automl.errors import ConfigError, DataError, DataWarning, GPAutoMLError, RunDirError
from gp_automl.fingerprint import read_fingerprint
from gp_automl.front import fronts_from_run
from gp_automl.outputs import check_output, check_output_folder
from gp_automl.results import PipelineContext, export_script, script_info
from gp_automl.rundir import BEST_PIPELINE, PARETO_FRONT, RUN_JSON, SEARCH_LOG, RunDir, atomic_write_text
from gp_automl.scoring import (
    PREDICTION,
    PROBABILITY_PREFIX,
    id_columns,
    is_scoring_log,
    model_rows,
    prediction_table,
    read_scoring_log,
)
from gp_automl.serve import DEFAULT_HOST, DEFAULT_PORT
from gp_automl.session import Fitted, Session, resume_session
from gp_automl.space import load_catalog
from gp_automl.tree import parse
from gp_automl.version import __version__


class _Parser(argparse.ArgumentParser):
    """argparse, but a command line it cannot take is one error line and exit code 4 (a setting),
    like every other bad input, instead of the usage text and exit code 2 (bad data here)."""

    def error(self, message: str):
        print(f"gp-automl: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(ConfigError.exit_code)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gp-automl", description="Genetic-programming AutoML on Dask.")
    parser.add_argument("--version", action="version", version=f"gp_automl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit", help="search for a pipeline on a CSV file")
    fit.add_argument("data", help="CSV file with a header row (UTF-8, delimiter detected) or Parquet file")
    fit.add_argument("--target", required=True, help="name of the column to predict")
    fit.add_argument("--task", choices=["auto", "classification", "regression"], default="auto")
    _setting_options(fit, resuming=False)
    _trust_options(fit)
    _tls_options(fit)

    resume = commands.add_parser("resume", help="continue a stopped, interrupted or killed run")
    resume.add_argument("run_dir")
    _setting_options(resume, resuming=True)
    _trust_options(resume)
    _tls_options(resume)

    export = commands.add_parser("export", help="write the best pipeline of a run as a Python script")
    export.add_argument("run_dir")
    export.add_argument("-o", "--output", help="script to write (default: RUN_DIR/best_pipeline.py)")
    export.add_argument("--front", action="store_true", help="one script per Pareto-front pipeline, in RUN_DIR/front/")
    _trust_options(export)

    report = commands.add_parser("report", help="write report.html: what the search tried, what won and why")
    report.add_argument("run_dir", help="a run directory, finished or still running")
    report.add_argument("-o", "--output", help="HTML file to write (default: RUN_DIR/report.html)")
    _trust_options(report)

    predict = commands.add_parser("predict", help="predict new rows with the model saved in a run")
    predict.add_argument("run_dir")
    predict.add_argument("data", help="CSV or Parquet file with the training data's feature columns")
    predict.add_argument("-o", "--output", help="CSV to write (default: standard output)")
    predict.add_argument("--proba", action="store_true", help="add probability_<label> columns (classification)")
    predict.add_argument(
        "--keep", action="extend", nargs="+", default=[], metavar="COLUMN",
        help="copy these columns of DATA into the output (ID-like columns dropped in training are copied anyway)",
    )  # fmt: skip

    serve = commands.add_parser(
        "serve", help='serve the model over HTTP (MLflow\'s scoring protocol; pip install "gp_automl[serve]")'
    )
    serve.add_argument("run_dir")
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST}: this machine only)"
    )
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port (default {DEFAULT_PORT})")
    serve.add_argument("--workers", type=int, default=1, help="server processes, each with its own copy of the model")
    serve.add_argument(
        "--log-inputs", metavar="FILE.jsonl", help="append every scored row (JSON lines) to FILE, for `gp-automl drift`"
    )

    drift = commands.add_parser(
        "drift", help=f"compare new data with the training data (exit {DRIFT_EXIT}: drift found)"
    )
    drift.add_argument("run_dir")
    drift.add_argument("data", help="CSV or Parquet file of new rows, or a scoring log (.jsonl) of `gp-automl serve`")
    drift.add_argument("-o", "--output", help="JSON report to write (the table goes to standard output)")
    return parser


def _minutes_or_auto(text: str) -> float | str:
    if text == AUTO:
        return AUTO
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number of minutes, got {text!r}") from None


def _size_or_auto(text: str) -> str | None:
    """``auto``, ``none`` (no limit) or a size, which the settings check (``config.eval_memory``)."""
    return None if text.lower() == "none" else text


CLI_TYPES = {
    "max_eval_time_mins": _minutes_or_auto,
    "max_eval_memory": _size_or_auto,
}  # flags with parsers of their own


def _setting_options(command: argparse.ArgumentParser, resuming: bool) -> None:
    """The flags of ``config.SETTINGS``: all of them on ``fit``; on ``resume`` the resumable ones,
    defaulting to None (keep the run's value)."""
    for setting in SETTINGS:
        if setting.flag is None or (resuming and not setting.resumable):
            continue
        options = {"type": CLI_TYPES.get(setting.name), **setting.cli}
        if options.get("action"):
            options.pop("type")
        if resuming:
            default = None
        else:
            default = setting.default if setting.cli_default is AS_PYTHON else setting.cli_default
        help_text = setting.help + (" (new total)" if resuming and setting.name in TOTALS else "")
        command.add_argument(
            setting.flag, dest=setting.name, default=default, help=help_text,
            **{k: v for k, v in options.items() if v is not None},
        )  # fmt: skip


TOTALS = ("max_time_mins", "generations")  # on resume: the run's new totals, time and generations spent count


def _trust_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--allow-module", action="append", default=[], metavar="MODULE",
        help="trust catalog operators from MODULE (e.g. mylab.models) besides sklearn, xgboost, lightgbm, gp_automl",
    )  # fmt: skip


def _tls_options(command: argparse.ArgumentParser) -> None:
    tls = command.add_argument_group("TLS (a tls:// scheduler; default: the Dask config distributed.comm.tls.*)")
    tls.add_argument("--tls-ca-file", help="certificate authority that signed the scheduler's certificate")
    tls.add_argument("--tls-cert", help="this client's certificate (PEM)")
    tls.add_argument("--tls-key", help="this client's private key (PEM), if not inside --tls-cert")


def _security(args: argparse.Namespace):
    """A ``distributed.Security`` from the --tls-* flags, or None to leave it to the Dask config."""
    files = {"tls_ca_file": args.tls_ca_file, "tls_client_cert": args.tls_cert, "tls_client_key": args.tls_key}
    if not any(files.values()):
        return None
    if not (args.tls_ca_file and args.tls_cert):
        raise ConfigError("TLS needs at least --tls-ca-file and --tls-cert")
    for flag, path in zip(("--tls-ca-file", "--tls-cert", "--tls-key"), files.values(), strict=True):
        if path and not Path(path).is_file():
            raise ConfigError(f"{flag} {path}: file not found")
    from distributed import Security

    return Security(**{k: v for k, v in files.items() if v}, require_encryption=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        command = {
            "fit": _fit, "resume": _resume, "export": _export, "report": _report, "predict": _predict,
            "serve": _serve, "drift": _drift,
        }  # fmt: skip
        if args.command in ("fit", "resume"):
            # the driver (with a LocalCluster, its scheduler too) runs for hours; a library call leaves
            # the caller's process as it found it, so only the command line tunes malloc
            fix_malloc_thresholds()
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning(warnings.showwarning)
            return command[args.command](args)
    except GPAutoMLError as exc:
        print(f"gp-automl: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("gp-automl: interrupted", file=sys.stderr)
        return 130


def _one_line_warning(default):
    """Our data warnings as one plain line, like errors; everyone else's as Python prints them."""

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, DataWarning):
            print(f"gp-automl: warning: {message}", file=sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    return show


def _fit(args: argparse.Namespace) -> int:
    frame = read_table(args.data)
    X, y = split_target(frame, args.target)
    task = infer_task(y) if args.task == "auto" else args.task
    out = args.checkpoint_dir or str(Path("runs") / f"{Path(args.data).stem}-{datetime.now():%Y%m%d-%H%M%S}")
    if (Path(out) / "run.json").exists():
        raise RunDirError(f"{out} already holds a run; choose another --out")
    if args.max_time_mins is None and args.generations is None:
        args.max_time_mins = DEFAULTS["max_time_mins"]
    params = {setting.name: getattr(args, setting.name) for setting in SETTINGS if setting.flag}
    params.update(checkpoint_dir=out, allow_modules=tuple(args.allow_module), security=_security(args))
    session = Session(make_settings(params, task))
    with dask_logs_to(Path(out) / SEARCH_LOG):
        fitted = session.fit(X, y, data_path=args.data)
    return _summary(fitted, out)


def _resume(args: argparse.Namespace) -> int:
    changes = {setting.name: getattr(args, setting.name) for setting in SETTINGS if hasattr(args, setting.name)}
    changes.update(allow_modules=tuple(args.allow_module), security=_security(args))
    with dask_logs_to(Path(args.run_dir) / SEARCH_LOG):
        _, fitted = resume_session(args.run_dir, changes.pop("max_time_mins"), None, None, changes)
    return _summary(fitted, args.run_dir)


def _summary(fitted: Fitted, out: str) -> int:
    if fitted.lost:
        raise fitted.lost
    print(f"best CV {fitted.run_info['settings']['scoring']}: {fitted.best_score!r}")
    print(f"best pipeline: {fitted.best_tree.key}")
    print(f"run directory: {Path(out).resolve()}  (script: {Path(out) / BEST_PIPELINE})")
    if fitted.run_info["status"] == "interrupted":
        print(f"interrupted: continue with `gp-automl resume {out}`")
        return 130
    return 0


def _export(args: argparse.Namespace) -> int:
    run_dir = RunDir(args.run_dir)
    info = run_dir.read_run()
    if "best_key" not in info:
        raise RunDirError(f"{run_dir.path} holds no finished run (status {info.get('status')!r})")
    inputs = [info["data"].get("path")]
    best = _parse_key(info["best_key"], run_dir.file(RUN_JSON))
    front = _read_front(run_dir.file(PARETO_FRONT)) if args.front else None
    if args.front:
        own = run_dir.file("front")
        folder = check_output_folder(args.output or own, inputs, own=[own])
    else:
        output = check_output(args.output or run_dir.file(BEST_PIPELINE), inputs, own=[run_dir.file(BEST_PIPELINE)])
    # the catalog was validated when the search started; not again, so that an entry the winner
    # does not use (or a scikit-learn upgrade since) cannot stand in the way of its script
    catalog = load_catalog(info["catalog"], info["task"], args.allow_module, validate=False)
    pipelines = PipelineContext(catalog, info["seed"], fronts_from_run(info["data"]))
    if args.front:
        for rank, (tree, key, score) in enumerate(front, 1):
            path = folder / f"pipeline_{rank:02d}_complexity{tree.complexity}.py"  # from the key, not the file
            check_output(path, inputs, own=[path])  # the folder was checked; a file there must still be writable
            atomic_write_text(
                path,
                export_script(
                    tree,
                    pipelines,
                    script_info(info, key, score, info["data"]["path"], info["target"]),
                ),
            )
            print(f"wrote {path}  (CV {score:.4f})")
        return 0
    script = export_script(
        best,
        pipelines,
        script_info(info, info["best_key"], info["best_score"], info["data"]["path"], info["target"]),
    )
    atomic_write_text(output, script)
    print(f"wrote {output}")
    return 0


def _parse_key(key: object, source: Path):
    """A pipeline key read from a run's file; one that does not parse is damage to that file."""
    try:
        return parse(str(key))
    except ValueError as exc:
        raise RunDirError(f"{source} is damaged: {exc}"[:300]) from None


def _read_front(path: Path) -> list[tuple]:
    """The run's Pareto front as (tree, key, score), every key parsed before any script is written."""
    try:
        front = pd.read_csv(path)
    except FileNotFoundError:
        raise RunDirError(f"{path} not found; the run has no Pareto front to export") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise RunDirError(f"{path} is damaged: {exc}"[:300]) from None
    if not {"key", "score"} <= set(front.columns):
        raise RunDirError(f"{path} is damaged: it lacks the key and score columns")
    return [(_parse_key(row.key, path), row.key, row.score) for row in front.itertuples()]


def _report(args: argparse.Namespace) -> int:
    from gp_automl.report import write_report  # matplotlib loads only for this command

    print(f"wrote {write_report(args.run_dir, args.output, allow_modules=tuple(args.allow_module))}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    run_dir = RunDir(args.run_dir)
    info = run_dir.read_run()
    if args.output:  # before the model is loaded: a refused path costs nothing
        check_output(args.output, inputs=[args.data, info["data"].get("path")])
    frame = read_table(args.data)
    kept = _kept_columns(frame, info, args.keep, str(args.data))
    model = run_dir.read_model()
    scored = model_rows(frame, info, where=str(args.data))
    if scored.extra:
        print(
            f"gp-automl: note: ignoring column(s) not used in training: {', '.join(map(str, scored.extra[:10]))}",
            file=sys.stderr,
        )
    if scored.unseen:
        shown = "; ".join(f"{name}: {', '.join(values[:5])}" for name, values in list(scored.unseen.items())[:10])
        print(f"gp-automl: note: categories not seen in training (encoded as rare/unknown): {shown}", file=sys.stderr)
    predictions = prediction_table(model, scored.rows, info["task"], proba=args.proba)
    predictions = pd.concat([kept, predictions], axis=1)
    if args.output:
        atomic_write_text(Path(args.output), predictions.to_csv(index=False))
        print(f"wrote {len(predictions)} predictions to {args.output}")
    else:
        sys.stdout.write(predictions.to_csv(index=False))
    return 0


def _kept_columns(frame: pd.DataFrame, info: dict, keep: list[str], where: str) -> pd.DataFrame:
    """The columns copied into predict's output so its rows can be joined back: the ID-like columns
    training dropped (when the table has them), then the ``--keep`` ones, in that order."""
    missing = [name for name in keep if name not in frame.columns]
    if missing:
        raise DataError(f"--keep: {where} has no column(s) {', '.join(missing)}")
    names = list(dict.fromkeys([*(c for c in id_columns(info) if c in frame.columns), *keep]))
    clashing = [name for name in names if name == PREDICTION or name.startswith(PROBABILITY_PREFIX)]
    if clashing:
        raise DataError(f"--keep: column(s) {', '.join(clashing)} would clash with predict's own output columns")
    return frame[names].reset_index(drop=True)


def _serve(args: argparse.Namespace) -> int:
    from gp_automl.serve import serve

    serve(args.run_dir, args.host, args.port, args.workers, args.log_inputs)
    return 0


def _drift(args: argparse.Namespace) -> int:
    run_dir = RunDir(args.run_dir)
    info = run_dir.read_run()
    if args.output:
        check_output(args.output, inputs=[args.data, info["data"].get("path")])
    fingerprint = read_fingerprint(run_dir)
    frame = read_scoring_log(args.data) if is_scoring_log(args.data) else read_table(args.data)
    if info.get("target") in frame.columns:
        frame = frame.drop(columns=[info["target"]])
    report = {"run": str(run_dir.path), "data": str(args.data)}
    report.update(compare(frame, fingerprint, info["data"].get("used", info["data"]["features"])))
    print("\n".join(drift_table(report)))
    if args.output:
        atomic_write_text(Path(args.output), json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.output}")
    return DRIFT_EXIT if report["drift"] else 0


if __name__ == "__main__":
    sys.exit(main())
