"""Issue 25: a table of bad inputs over fit, resume, predict, export and report.

Each case is one line: (id, command line, exit code, a fragment its error line must hold, naming
the thing at fault). Every case must end with exactly one stderr line ``gp-automl: error: ...``,
that exit code, no traceback, and not a byte created, changed or removed in the working folder,
which holds every input and a finished run (and damaged copies of it): files are hashed before
and after each case. A bad input must be found before any search or cluster starts, so the whole
table runs in one process (``tests/bad_input_driver.py``) in seconds; a sample is run as real
subprocesses to show that the driver sees what a user sees.

In the command lines, ``W`` is the working folder and ``FIT`` a fit of ``W/train.csv`` with settings
that keep a search tiny (in-process, one generation, ``--out W/out``), so that a case wrongly
accepted ends quickly, and visibly (``W/out`` is created). Flags given after ``FIT`` override it.
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import os
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from tests.bad_input_driver import changes, snapshot
from tests.conftest import REPO
from tests.integration.test_cli import CANCER, cli

pytestmark = pytest.mark.slow  # a real tiny search to build the run, the table (~30 s), ten CLI processes

TAIL = "--scheduler in-process --operators light --generations 1 --population-size 2 --out W/out"


def fit(data: str, extra: str = "") -> str:
    """A fit of ``data`` (target column ``target``) kept tiny, then ``extra``, whose flags override."""
    return f"fit {data} --target target {TAIL} {extra}".strip()


FIT = fit("W/train.csv")

# fmt: off
CASES = [
    # --- training data (exit 2) ------------------------------------------------------------------
    ("data-missing", fit("W/nope.csv"), 2, "W/nope.csv not found"),
    ("data-dangling-symlink", fit("W/dangling.csv"), 2, "W/dangling.csv not found"),
    ("data-directory", fit("W/folder.csv"), 2, "W/folder.csv is a directory"),
    ("data-fifo", fit("W/pipe.csv"), 2, "W/pipe.csv is a named pipe"),
    ("data-device", fit("/dev/null"), 2, "/dev/null is not a regular file"),
    ("data-empty", fit("W/empty.csv"), 2, "W/empty.csv is empty"),
    ("data-blank-lines", fit("W/blank.csv"), 2, "W/blank.csv is empty"),
    ("data-header-only", fit("W/header.csv"), 2, "W/header.csv has a header but no rows"),
    ("data-header-only-crlf", fit("W/header-crlf.csv"), 2, "W/header-crlf.csv has a header but no rows"),
    ("data-nul-bytes", fit("W/nul.csv"), 2, "W/nul.csv is not a text file"),
    ("data-png", fit("W/picture.csv"), 2, "W/picture.csv is not a text file"),
    ("data-utf16-without-bom", fit("W/utf16.csv"), 2, "W/utf16.csv is not a text file"),
    ("data-duplicate-columns", fit("W/dup.csv"), 2, "W/dup.csv has duplicate column names: a"),
    ("data-duplicate-after-spaces", fit("W/dup-spaces.csv"), 2, "duplicate column names: a"),
    ("data-duplicate-target", fit("W/dup-target.csv"), 2, "duplicate column names: target"),
    ("data-unknown-target", fit("W/label.csv"), 2, "target column 'target' not found; columns are: a, b, label"),
    ("data-target-case", FIT + " --target Target", 2, "target column 'Target' not found"),
    ("data-target-empty-name", FIT + " --target ''", 2, "target column '' not found"),
    ("data-no-header", fit("W/no-header.csv"), 2, "target column 'target' not found"),
    ("data-one-class", fit("W/one-class.csv"), 2, "target column 'target' has a single class (1)"),
    ("data-one-class-after-gaps", fit("W/one-class-gaps.csv"), 2, "target column 'target' has a single class (1)"),
    ("data-target-all-missing", fit("W/no-target-values.csv"), 2, "target column 'target' has no values"),
    ("data-target-all-na-markers", fit("W/na-target.csv"), 2, "target column 'target' has no values"),
    ("data-inf-feature", fit("W/inf.csv"), 2, "infinite values in column(s): a"),
    ("data-minus-inf-feature", fit("W/neg-inf.csv"), 2, "infinite values in column(s): a"),
    ("data-overflowing-number", fit("W/overflow.csv"), 2, "infinite values in column(s): a"),
    ("data-inf-target", fit("W/inf-target.csv", "--task regression"), 2, "target column 'target' has infinite values"),
    ("data-text-target-regression", fit("W/label-target.csv", "--task regression"), 2, "target column 'target' holds text"),
    ("data-too-few-rows-for-cv", fit("W/three-rows.csv"), 4, "3 rows are too few for cv=5"),
    ("data-rows-vs-cv-flag", FIT + " --cv 600", 4, "150 rows are too few for cv=600"),
    ("data-ragged-rows", fit("W/ragged.csv"), 2, "W/ragged.csv could not be read as CSV"),
    ("data-unclosed-quote", fit("W/quote.csv"), 2, "W/quote.csv could not be read as CSV"),
    ("data-only-the-target", fit("W/only-target.csv"), 2, "target column 'target' is the only column"),
    ("data-only-id-columns", fit("W/ids.csv"), 2, "no usable feature column"),
    ("data-only-empty-features", fit("W/empty-features.csv"), 2, "no usable feature column"),
    ("data-gz-not-gzip", fit("W/fake.csv.gz"), 2, "W/fake.csv.gz could not be read as gzip"),
    ("data-gz-truncated", fit("W/truncated.csv.gz"), 2, "W/truncated.csv.gz could not be read as gzip"),
    ("data-gz-empty-inside", fit("W/hollow.csv.gz"), 2, "W/hollow.csv.gz is empty once decompressed"),
    ("data-bz2-not-bz2", fit("W/fake.csv.bz2"), 2, "W/fake.csv.bz2 could not be read as bzip2"),
    ("data-xz-not-xz", fit("W/fake.csv.xz"), 2, "W/fake.csv.xz could not be read as xz"),
    ("data-xz-truncated", fit("W/truncated.csv.xz"), 2, "W/truncated.csv.xz could not be read as xz"),
    ("data-zip-not-zip", fit("W/fake.csv.zip"), 2, "W/fake.csv.zip could not be read as zip"),
    ("data-zip-two-files", fit("W/two.csv.zip"), 2, "W/two.csv.zip holds 2 files"),
    ("data-zip-no-file", fit("W/none.csv.zip"), 2, "W/none.csv.zip holds 0 files"),
    ("data-parquet-not-parquet", fit("W/fake.parquet"), 2, "W/fake.parquet could not be read as Parquet"),
    ("data-parquet-empty", fit("W/empty.parquet"), 2, "W/empty.parquet is empty"),
    ("data-parquet-unknown-target", fit("W/good.parquet", "--target nope"), 2, "target column 'nope' not found"),
    ("data-continuous-forced-classes", fit("W/reg.csv", "--task classification"), 4, "target column 'target' holds"),
    # --- catalogs (exit 3) -----------------------------------------------------------------------
    ("catalog-unknown-name", FIT + " --operators nope", 3, "operator catalog"),
    ("catalog-missing-file", FIT + " --operators W/missing.toml", 3, "W/missing.toml not found"),
    ("catalog-directory", FIT + " --operators W/folder.toml", 3, "W/folder.toml"),
    ("catalog-not-toml", FIT + " --operators W/cat/malformed.toml", 3, "malformed.toml: not a valid TOML file"),
    ("catalog-not-utf8", FIT + " --operators W/cat/latin1.toml", 3, "latin1.toml: not a valid TOML file"),
    ("catalog-binary", FIT + " --operators W/cat/binary.toml", 3, "binary.toml"),
    ("catalog-empty", FIT + " --operators W/cat/empty.toml", 3, "empty.toml: the catalog has no usable operator"),
    ("catalog-unknown-table", FIT + " --operators W/cat/unknown-table.toml", 3, "unknown top-level table(s) ['models']"),
    ("catalog-unknown-header-field", FIT + " --operators W/cat/header-field.toml", 3, "[catalog]: unknown field(s) ['name']"),
    ("catalog-operators-not-table", FIT + " --operators W/cat/operators-list.toml", 3, "'operators' must be a table"),
    ("catalog-unknown-operator-field", FIT + " --operators W/cat/operator-field.toml", 3, "operator LR: unknown field(s) ['module']"),
    ("catalog-no-import", FIT + " --operators W/cat/no-import.toml", 3, "operator LR: 'import' must be a dotted path"),
    ("catalog-import-not-dotted", FIT + " --operators W/cat/undotted.toml", 3, "operator LR: 'import' must be a dotted path"),
    ("catalog-no-role", FIT + " --operators W/cat/no-role.toml", 3, "operator LR: role must be one of"),
    ("catalog-bad-role", FIT + " --operators W/cat/bad-role.toml", 3, "operator LR: role must be one of"),
    ("catalog-stack-not-bool", FIT + " --operators W/cat/stack.toml", 3, "operator LR: stack must be true or false"),
    ("catalog-bad-name", FIT + " --operators W/cat/bad-name.toml", 3, "operator X: the name must be"),
    ("catalog-untrusted-import", FIT + " --operators W/cat/untrusted.toml", 3, "operator Shell: 'os.system' is outside the trusted packages"),
    ("catalog-untrusted-fixed-object", FIT + " --operators W/cat/untrusted-fixed.toml", 3, "fixed.score_func: 'os.system' is outside"),
    ("catalog-missing-module", FIT + " --operators W/cat/missing-module.toml", 3, "operator LR"),
    ("catalog-missing-class", FIT + " --operators W/cat/missing-class.toml", 3, "operator LR"),
    ("catalog-import-a-module", FIT + " --operators W/cat/module-import.toml", 3, "operator LR"),
    ("catalog-allowed-not-a-class", FIT + " --operators W/cat/allowed-function.toml --allow-module os", 3, "operator Shell"),
    ("catalog-unknown-param", FIT + " --operators W/cat/unknown-param.toml", 3, "param max_depth_like"),
    ("catalog-unknown-fixed", FIT + " --operators W/cat/unknown-fixed.toml", 3, "fixed"),
    ("catalog-fixed-and-searched", FIT + " --operators W/cat/both.toml", 3, "['C'] cannot be both fixed and searched"),
    ("catalog-fixed-bad-value", FIT + " --operators W/cat/fixed-bad.toml", 3, "max_iter"),
    ("catalog-fixed-table", FIT + " --operators W/cat/fixed-table.toml", 3, "fixed.max_iter: a fixed value must be"),
    ("catalog-choice-rejected", FIT + " --operators W/cat/choice-bad.toml", 3, "param penalty"),
    ("catalog-range-below-bound", FIT + " --operators W/cat/range-negative.toml", 3, "param C"),
    ("catalog-int-range-float-bounds", FIT + " --operators W/cat/int-float.toml", 3, "param n_neighbors: int must be [low, high]"),
    ("catalog-inverted-range", FIT + " --operators W/cat/inverted.toml", 3, "param C: range [10, 1] is inverted"),
    ("catalog-empty-float-range", FIT + " --operators W/cat/empty-range.toml", 3, "param C: float range [1, 1] is empty"),
    ("catalog-log-from-zero", FIT + " --operators W/cat/log-zero.toml", 3, "param C: a log range needs low > 0"),
    ("catalog-log-not-bool", FIT + " --operators W/cat/log-word.toml", 3, "param C: log must be true or false"),
    ("catalog-nan-bound", FIT + " --operators W/cat/nan-bound.toml", 3, "param C"),
    ("catalog-inf-bound", FIT + " --operators W/cat/inf-bound.toml", 3, "param C"),
    ("catalog-empty-choices", FIT + " --operators W/cat/choices-empty.toml", 3, "param penalty: choices is empty"),
    ("catalog-choices-not-list", FIT + " --operators W/cat/choices-text.toml", 3, "param penalty: choices must be a list"),
    ("catalog-duplicate-choices", FIT + " --operators W/cat/choices-dup.toml", 3, "param penalty: choices has duplicates"),
    ("catalog-two-domain-kinds", FIT + " --operators W/cat/two-kinds.toml", 3, "param C: give exactly one of"),
    ("catalog-unknown-domain-field", FIT + " --operators W/cat/domain-field.toml", 3, "param C: unknown field(s) ['step']"),
    ("catalog-none-on-range", FIT + " --operators W/cat/none-range.toml", 3, "param C: 'none' applies to choices only"),
    ("catalog-params-not-table", FIT + " --operators W/cat/params-list.toml", 3, "operator LR: params must be a table"),
    ("catalog-regressor-as-classifier", FIT + " --operators W/cat/regressor.toml", 3, "Ridge"),
    ("catalog-transformer-as-model", FIT + " --operators W/cat/scaler-model.toml", 3, "StandardScaler"),
    ("catalog-model-as-transformer", FIT + " --operators W/cat/model-transformer.toml", 3, "operator Tree"),
    ("catalog-transformer-as-selector", FIT + " --operators W/cat/scaler-selector.toml", 3, "operator Scaler"),
    ("catalog-for-the-other-task", fit("W/reg.csv", "--operators " + str(REPO / "operators" / "light-classification.toml")), 3, "cannot be used for regression"),
    ("catalog-shipped-other-task", FIT + " --operators " + str(REPO / "operators" / "light-regression.toml"), 3, "cannot be used for classification"),
    ("catalog-no-model", FIT + " --operators W/cat/no-model.toml", 3, "no usable operator with role = \"model\""),
    ("catalog-include-missing", FIT + " --operators W/cat/include-missing.toml", 3, "included file 'nowhere.toml' not found"),
    ("catalog-include-cycle", FIT + " --operators W/cat/cycle-a.toml", 3, "include cycle"),
    ("catalog-include-not-list", FIT + " --operators W/cat/include-text.toml", 3, "include must be a list"),
    ("catalog-operator-twice", FIT + " --operators W/cat/twice.toml", 3, "operator LR is also defined in"),
    ("catalog-start-unparsable", FIT + " --operators W/cat/start-garbage.toml", 3, "[catalog] start"),
    ("catalog-start-not-list", FIT + " --operators W/cat/start-text.toml", 3, "[catalog] start must be a list"),
    ("catalog-start-unknown-operator", FIT + " --operators W/cat/start-unknown.toml", 3, "unknown operator 'SVC'"),
    ("catalog-start-missing-param", FIT + " --operators W/cat/start-missing.toml", 3, "LR needs exactly the parameters ['C']"),
    ("catalog-start-outside-domain", FIT + " --operators W/cat/start-outside.toml", 3, "LR: C=99.0 is outside its domain"),
    ("catalog-start-x-at-root", FIT + " --operators W/cat/start-x.toml", 3, "X must be a leaf under a model"),
    ("catalog-start-transformer-root", FIT + " --operators W/cat/start-scaler.toml", 3, "Scaler cannot be the root"),
    ("catalog-bad-allow-module", FIT + " --allow-module 'os;rm'", 4, "allow_modules"),
    # --- settings (exit 4) -----------------------------------------------------------------------
    ("setting-cv-1", FIT + " --cv 1", 4, "cv must be an integer >= 2"),
    ("setting-cv-0", FIT + " --cv 0", 4, "cv must be an integer >= 2"),
    ("setting-cv-negative", FIT + " --cv -3", 4, "cv must be an integer >= 2"),
    ("setting-cv-huge", FIT + " --cv 5000", 4, "cv must be at most 1_000"),
    ("setting-cv-word", FIT + " --cv five", 4, "--cv"),
    ("setting-cv-float", FIT + " --cv 2.5", 4, "--cv"),
    ("setting-population-1", FIT + " --population-size 1", 4, "population_size must be an integer >= 2"),
    ("setting-population-negative", FIT + " --population-size -4", 4, "population_size must be an integer >= 2"),
    ("setting-population-huge", FIT + " --population-size 99999999999999", 4, "population_size must be at most 10_000"),
    ("setting-population-word", FIT + " --population-size many", 4, "--population-size"),
    ("setting-generations-negative", FIT + " --generations -1", 4, "generations must be an integer >= 0"),
    ("setting-generations-huge", FIT + " --generations 2000000", 4, "generations must be at most 1_000_000"),
    ("setting-generations-float", FIT + " --generations 1.5", 4, "--generations"),
    ("setting-max-time-zero", FIT + " --max-time-mins 0", 4, "max_time_mins must be a positive number"),
    ("setting-max-time-negative", FIT + " --max-time-mins -5", 4, "max_time_mins must be a positive number"),
    ("setting-max-time-inf", FIT + " --max-time-mins inf", 4, "max_time_mins must be at most"),
    ("setting-max-time-nan", FIT + " --max-time-mins nan", 4, "max_time_mins"),
    ("setting-max-time-huge", FIT + " --max-time-mins 1e9", 4, "max_time_mins must be at most"),
    ("setting-max-time-word", FIT + " --max-time-mins soon", 4, "--max-time-mins"),
    ("setting-eval-time-zero", FIT + " --max-eval-time-mins 0", 4, "max_eval_time_mins must be 'auto', a positive number"),
    ("setting-eval-time-negative", FIT + " --max-eval-time-mins -1", 4, "max_eval_time_mins must be"),
    ("setting-eval-time-inf", FIT + " --max-eval-time-mins inf", 4, "max_eval_time_mins must be at most"),
    ("setting-eval-time-word", FIT + " --max-eval-time-mins soon", 4, "--max-eval-time-mins"),
    ("setting-eval-memory-tiny", FIT + " --max-eval-memory 1KB", 4, "max_eval_memory must be between 256 MiB"),
    ("setting-eval-memory-huge", FIT + " --max-eval-memory 2PiB", 4, "max_eval_memory must be between"),
    ("setting-eval-memory-word", FIT + " --max-eval-memory lots", 4, "max_eval_memory must be 'auto', None"),
    ("setting-eval-memory-negative", FIT + " --max-eval-memory=-5GB", 4, "max_eval_memory must be"),
    ("setting-early-stop-zero", FIT + " --early-stop 0", 4, "early_stop must be an integer >= 1"),
    ("setting-early-stop-huge", FIT + " --early-stop 5000000", 4, "early_stop must be at most"),
    ("setting-checkpoint-negative", FIT + " --checkpoint-interval -1", 4, "checkpoint_interval must be a number >= 0"),
    ("setting-checkpoint-huge", FIT + " --checkpoint-interval 1e9", 4, "checkpoint_interval must be at most"),
    ("setting-seed-negative", FIT + " --seed -1", 4, "random_state must be an integer >= 0"),
    ("setting-seed-huge", FIT + " --seed 4294967296", 4, "random_state must be at most"),
    ("setting-verbosity-negative", FIT + " --verbosity -1", 4, "verbosity must be an integer >= 0"),
    ("setting-n-workers-zero", FIT + " --n-workers 0", 4, "n_workers must be an integer >= 1"),
    ("setting-n-workers-huge", FIT + " --n-workers 20000", 4, "n_workers must be at most 10_000"),
    ("setting-mode-unknown", FIT + " --mode fast", 4, "--mode"),
    ("setting-task-unknown", FIT + " --task clustering", 4, "--task"),
    ("setting-unknown-flag", FIT + " --bogus 3", 4, "--bogus"),
    ("setting-missing-target-flag", "fit W/train.csv " + TAIL, 4, "--target"),
    ("setting-no-command", "", 4, "command"),
    ("setting-unknown-command", "train W/train.csv", 4, "train"),
    ("setting-scoring-unknown", FIT + " --scoring accuracyy", 4, "accuracyy"),
    ("setting-scoring-r2-on-classes", FIT + " --scoring r2", 4, "scoring 'r2' is a regression metric"),
    ("setting-scoring-accuracy-on-quantity", fit("W/reg.csv", "--scoring accuracy"), 4, "scoring 'accuracy' is a classification metric"),
    ("setting-scoring-f1-three-classes", fit("W/three.csv", "--scoring f1"), 4, "scoring 'f1' is for two classes"),
    ("setting-scoring-auc-three-classes", fit("W/three.csv", "--scoring roc_auc"), 4, "roc_auc_ovo"),
    ("setting-scoring-f1-on-words", fit("W/yesno.csv", "--scoring f1"), 4, "'f1'"),
    ("setting-cv-vs-smallest-class", fit("W/rare.csv", "--cv 5"), 4, "class(es) c have fewer than cv=5 rows"),
    ("setting-tls-ca-only", FIT + " --scheduler tls://127.0.0.1:1 --tls-ca-file W/ca.pem", 4, "TLS needs at least --tls-ca-file and --tls-cert"),
    ("setting-tls-cert-only", FIT + " --scheduler tls://127.0.0.1:1 --tls-cert W/ca.pem", 4, "TLS needs at least --tls-ca-file and --tls-cert"),
    ("setting-tls-key-only", FIT + " --scheduler tls://127.0.0.1:1 --tls-key W/ca.pem", 4, "TLS needs at least --tls-ca-file and --tls-cert"),
    ("setting-tls-missing-ca", FIT + " --scheduler tls://127.0.0.1:1 --tls-ca-file W/nope.pem --tls-cert W/ca.pem", 4, "--tls-ca-file W/nope.pem: file not found"),
    ("setting-tls-missing-key", FIT + " --scheduler tls://127.0.0.1:1 --tls-ca-file W/ca.pem --tls-cert W/ca.pem --tls-key W/nope.pem", 4, "--tls-key W/nope.pem: file not found"),
    ("setting-tls-in-process", FIT + " --tls-ca-file W/ca.pem --tls-cert W/ca.pem", 4, "security applies to a scheduler address"),
    ("setting-jobqueue-unknown", FIT + " --scheduler jobqueue:nonsense", 4, "unknown jobqueue cluster 'nonsense'"),
    ("scheduler-file-missing", FIT + " --scheduler W/scheduler.json", 5, "scheduler file W/scheduler.json not found"),
    ("out-is-a-file", FIT + " --out W/train.csv", 6, "W/train.csv exists and is not a directory"),
    ("out-holds-a-run", FIT + " --out W/run", 6, "W/run already holds a run"),
    ("out-under-a-file", FIT + " --out W/train.csv/run", 6, "W/train.csv is a file, not a folder"),
    # --- resume (exit 6 for the run directory, 4 for settings) -----------------------------------
    ("resume-missing", "resume W/nope", 6, "run directory W/nope does not exist"),
    ("resume-a-file", "resume W/train.csv", 6, "W/train.csv is a file, not a run directory"),
    ("resume-not-a-run", "resume W/folder.csv", 6, "W/folder.csv is not a gp_automl run directory (no run.json)"),
    ("resume-run-json-garbage", "resume W/run-json-garbage --generations 3", 6, "W/run-json-garbage/run.json is damaged"),
    ("resume-run-json-empty", "resume W/run-json-empty --generations 3", 6, "W/run-json-empty/run.json is damaged"),
    ("resume-run-json-list", "resume W/run-json-list --generations 3", 6, "W/run-json-list/run.json is damaged: not a JSON object"),
    ("resume-run-json-binary", "resume W/run-json-binary --generations 3", 6, "W/run-json-binary/run.json is damaged"),
    ("resume-run-json-no-settings", "resume W/run-no-settings --generations 3", 6, "W/run-no-settings/run.json lacks a valid 'settings'"),
    ("resume-run-json-no-scheduler", "resume W/run-no-scheduler --generations 3", 6, "W/run-no-scheduler/run.json lacks its settings"),
    ("resume-run-json-bad-setting", "resume W/run-bad-setting --generations 3", 6, "W/run-bad-setting/run.json holds an invalid setting"),
    ("resume-run-json-bad-seed", "resume W/run-bad-seed --generations 3", 6, "W/run-bad-seed/run.json lacks a valid 'seed'"),
    ("resume-data-gone", "resume W/run-data-gone --generations 3", 2, "W/gone.csv not found"),
    ("resume-data-changed", "resume W/run-data-changed --generations 3", 2, "the data differ from those the run in W/run-data-changed"),
    ("resume-checkpoint-garbage", "resume W/run-checkpoint-garbage --generations 3", 6, "W/run-checkpoint-garbage/checkpoint.json is damaged"),
    ("resume-checkpoint-edited", "resume W/run-checkpoint-edited --generations 3", 6, "W/run-checkpoint-edited/checkpoint.json is damaged or was edited"),
    ("resume-checkpoint-format", "resume W/run-checkpoint-format --generations 3", 6, "W/run-checkpoint-format/checkpoint.json is not a gp_automl checkpoint"),
    ("resume-checkpoint-directory", "resume W/run-checkpoint-directory --generations 3", 6, "W/run-checkpoint-directory/checkpoint.json is a directory"),
    ("resume-log-garbage", "resume W/run-log-garbage --generations 3", 6, "W/run-log-garbage/evaluations.sqlite"),
    ("resume-log-foreign", "resume W/run-log-foreign --generations 3", 6, "W/run-log-foreign/evaluations.sqlite is an SQLite file but not a gp_automl evaluation log"),
    ("resume-catalog-gone", "resume W/run-catalog-gone --generations 3", 3, "W/gone.toml not found"),
    ("resume-finished-no-total", "resume W/run", 4, "W/run is finished"),
    ("resume-finished-same-total", "resume W/run --generations 1", 4, "--generations above 1"),
    ("resume-finished-time-spent", "resume W/run --max-time-mins 0.0001", 4, "--max-time-mins above"),
    ("resume-cannot-change-cv", "resume W/run --generations 3 --cv 3", 4, "unrecognized arguments: --cv 3"),
    ("resume-cannot-change-operators", "resume W/run --generations 3 --operators light", 4, "unrecognized arguments: --operators light"),
    ("resume-cannot-change-seed", "resume W/run --generations 3 --seed 4", 4, "unrecognized arguments: --seed 4"),
    ("resume-generations-negative", "resume W/run --generations -1", 4, "generations must be an integer >= 0"),
    ("resume-generations-huge", "resume W/run --generations 2000000", 4, "generations must be at most 1_000_000"),
    ("resume-n-workers-zero", "resume W/run --generations 3 --n-workers 0", 4, "n_workers must be an integer >= 1"),
    ("resume-checkpoint-interval-negative", "resume W/run --generations 3 --checkpoint-interval -1", 4, "checkpoint_interval must be"),
    ("resume-max-time-nan", "resume W/run --generations 3 --max-time-mins nan", 4, "max_time_mins"),
    ("resume-early-stop-zero", "resume W/run --generations 3 --early-stop 0", 4, "early_stop must be an integer >= 1"),
    ("resume-jobqueue-unknown", "resume W/run --generations 3 --scheduler jobqueue:nonsense", 4, "unknown jobqueue cluster 'nonsense'"),
    ("resume-tls-ca-only", "resume W/run --generations 3 --scheduler tls://127.0.0.1:1 --tls-ca-file W/ca.pem", 4, "TLS needs at least"),
    ("resume-scheduler-file-missing", "resume W/run --generations 3 --scheduler W/scheduler.json", 5, "scheduler file W/scheduler.json not found"),
    ("resume-no-run-dir-argument", "resume", 4, "run_dir"),
    # --- predict (exit 2 for data, 6 for the run directory and output places) --------------------
    ("predict-run-missing", "predict W/nope W/new.csv", 6, "run directory W/nope does not exist"),
    ("predict-not-a-run", "predict W/folder.csv W/new.csv", 6, "W/folder.csv is not a gp_automl run directory"),
    ("predict-run-is-a-file", "predict W/train.csv W/new.csv", 6, "W/train.csv is a file, not a run directory"),
    ("predict-run-json-garbage", "predict W/run-json-garbage W/new.csv", 6, "W/run-json-garbage/run.json is damaged"),
    ("predict-run-json-no-data", "predict W/run-no-data W/new.csv", 6, "W/run-no-data/run.json lacks a valid 'data'"),
    ("predict-unfinished-run", "predict W/run-running W/new.csv", 6, "W/run-running has no saved model (model.pkl)"),
    ("predict-model-altered", "predict W/run-model-altered W/new.csv", 6, "W/run-model-altered/model.pkl does not match its checksum"),
    ("predict-model-truncated", "predict W/run-model-truncated W/new.csv", 6, "W/run-model-truncated/model.pkl does not match its checksum"),
    ("predict-model-no-checksum", "predict W/run-model-no-checksum W/new.csv", 6, "W/run-model-no-checksum/model.pkl has no readable checksum"),
    ("predict-data-missing", "predict W/run W/nope.csv", 2, "W/nope.csv not found"),
    ("predict-data-directory", "predict W/run W/folder.csv", 2, "W/folder.csv is a directory"),
    ("predict-data-fifo", "predict W/run W/pipe.csv", 2, "W/pipe.csv is a named pipe"),
    ("predict-data-empty", "predict W/run W/empty.csv", 2, "W/empty.csv is empty"),
    ("predict-data-header-only", "predict W/run W/new-header.csv", 2, "W/new-header.csv has a header but no rows"),
    ("predict-data-binary", "predict W/run W/nul.csv", 2, "W/nul.csv is not a text file"),
    ("predict-data-gz-damaged", "predict W/run W/fake.csv.gz", 2, "W/fake.csv.gz could not be read as gzip"),
    ("predict-data-duplicate-columns", "predict W/run W/new-dup.csv", 2, "W/new-dup.csv has duplicate column names: mean_radius"),
    ("predict-missing-column", "predict W/run W/new-missing.csv", 2, "W/new-missing.csv lacks column(s) the model was trained on: mean_radius"),
    ("predict-other-table", "predict W/run W/three.csv", 2, "W/three.csv lacks column(s) the model was trained on"),
    ("predict-text-column", "predict W/run W/new-text.csv", 2, "W/new-text.csv: column 'mean_radius' held numbers in training"),
    ("predict-some-text", "predict W/run W/new-some-text.csv", 2, "W/new-some-text.csv: column 'mean_radius' has 1 value(s) that are not numbers"),
    ("predict-gap-without-imputer", "predict W/run W/new-gap.csv", 2, "W/new-gap.csv: column 'mean_radius' has 1 missing value(s)"),
    ("predict-inf", "predict W/run W/new-inf.csv", 2, "infinite values in column(s): mean_radius"),
    ("predict-output-onto-input", "predict W/run W/new.csv -o W/new.csv", 2, "-o W/new.csv is the input data"),
    ("predict-output-onto-input-symlink", "predict W/run W/new.csv -o W/new-link.csv", 2, "-o W/new-link.csv is the input data"),
    ("predict-output-onto-training-data", "predict W/run W/new.csv -o W/train.csv", 2, "-o W/train.csv is the input data"),
    ("predict-output-onto-model", "predict W/run W/new.csv -o W/run/model.pkl", 2, "-o W/run/model.pkl is inside the run directory"),
    ("predict-output-onto-run-json", "predict W/run W/new.csv -o W/run/run.json", 2, "-o W/run/run.json is inside the run directory"),
    ("predict-output-onto-log", "predict W/run W/new.csv -o W/run/evaluations.sqlite", 2, "is inside the run directory"),
    ("predict-output-new-file-in-run", "predict W/run W/new.csv -o W/run/predictions.csv", 2, "is inside the run directory"),
    ("predict-output-directory", "predict W/run W/new.csv -o W/folder.csv", 6, "-o W/folder.csv is a directory"),
    ("predict-output-missing-folder", "predict W/run W/new.csv -o W/no/such/p.csv", 6, "the folder W/no/such does not exist"),
    ("predict-output-under-a-file", "predict W/run W/new.csv -o W/train.csv/p.csv", 6, "W/train.csv"),
    ("predict-no-data-argument", "predict W/run", 4, "data"),
    # --- export (exit 6 for the run directory, 2 for its files or data as output) ----------------
    ("export-missing", "export W/nope", 6, "run directory W/nope does not exist"),
    ("export-not-a-run", "export W/folder.csv", 6, "W/folder.csv is not a gp_automl run directory"),
    ("export-a-file", "export W/train.csv", 6, "W/train.csv is a file, not a run directory"),
    ("export-run-json-garbage", "export W/run-json-garbage", 6, "W/run-json-garbage/run.json is damaged"),
    ("export-run-json-list", "export W/run-json-list", 6, "W/run-json-list/run.json is damaged"),
    ("export-run-json-no-task", "export W/run-no-task", 6, "W/run-no-task/run.json lacks a valid 'task'"),
    ("export-unfinished-run", "export W/run-running", 6, "W/run-running holds no finished run (status 'running')"),
    ("export-best-key-garbage", "export W/run-best-key-garbage -o W/outside.py", 6, "W/run-best-key-garbage/run.json is damaged: not a pipeline key"),
    ("export-catalog-gone", "export W/run-catalog-gone -o W/outside.py", 3, "W/gone.toml not found"),
    ("export-front-file-gone", "export W/run-front-gone --front -o W/front-out", 6, "W/run-front-gone/pareto_front.csv not found"),
    ("export-onto-model", "export W/run -o W/run/model.pkl", 2, "-o W/run/model.pkl is inside the run directory"),
    ("export-onto-run-json", "export W/run -o W/run/run.json", 2, "-o W/run/run.json is inside the run directory"),
    ("export-onto-checkpoint", "export W/run -o W/run/checkpoint.json", 2, "is inside the run directory"),
    ("export-onto-another-run", "export W/run -o W/run-running/run.json", 2, "is inside the run directory"),
    ("export-onto-training-data", "export W/run -o W/train.csv", 2, "-o W/train.csv is the input data"),
    ("export-onto-training-data-link", "export W/run -o W/train-link.csv", 2, "-o W/train-link.csv is the input data"),
    ("export-output-directory", "export W/run -o W/folder.csv", 6, "-o W/folder.csv is a directory"),
    ("export-output-missing-folder", "export W/run -o W/no/such/p.py", 6, "the folder W/no/such does not exist"),
    ("export-front-onto-a-file", "export W/run --front -o W/train.csv", 6, "-o W/train.csv exists and is not a directory"),
    ("export-front-into-the-run", "export W/run --front -o W/run", 2, "-o W/run is inside the run directory"),
    ("export-front-into-another-run", "export W/run --front -o W/run-running/front", 2, "is inside the run directory"),
    ("export-bad-allow-module", "export W/run --allow-module 'os;rm'", 3, "allow_modules"),
    ("export-unknown-flag", "export W/run --bogus", 4, "--bogus"),
    # --- report (exit 6 for the run directory, 2 for its files or data as output) ----------------
    ("report-missing", "report W/nope", 6, "run directory W/nope does not exist"),
    ("report-not-a-run", "report W/folder.csv", 6, "W/folder.csv is not a gp_automl run directory"),
    ("report-a-file", "report W/train.csv", 6, "W/train.csv is a file, not a run directory"),
    ("report-run-json-garbage", "report W/run-json-garbage", 6, "W/run-json-garbage/run.json is damaged"),
    ("report-run-json-no-settings", "report W/run-no-settings", 6, "W/run-no-settings/run.json lacks a valid 'settings'"),
    ("report-log-garbage", "report W/run-log-garbage -o W/outside.html", 6, "W/run-log-garbage/evaluations.sqlite"),
    ("report-log-foreign", "report W/run-log-foreign -o W/outside.html", 6, "W/run-log-foreign/evaluations.sqlite is an SQLite file but not"),
    ("report-run-json-list", "report W/run-json-list", 6, "W/run-json-list/run.json is damaged: not a JSON object"),
    ("report-onto-model", "report W/run -o W/run/model.pkl", 2, "-o W/run/model.pkl is inside the run directory"),
    ("report-onto-run-json", "report W/run -o W/run/run.json", 2, "-o W/run/run.json is inside the run directory"),
    ("report-onto-another-run", "report W/run -o W/run-running/report.html", 2, "is inside the run directory"),
    ("report-onto-training-data", "report W/run -o W/train.csv", 2, "-o W/train.csv is the input data"),
    ("report-output-directory", "report W/run -o W/folder.csv", 6, "-o W/folder.csv is a directory"),
    ("report-output-missing-folder", "report W/run -o W/no/such/r.html", 6, "the folder W/no/such does not exist"),
    ("report-bad-allow-module", "report W/run --allow-module 'os;rm'", 3, "allow_modules"),
]
# fmt: on

# Real subprocesses for a sample of the table, one per command and exit code: the driver must see
# exactly what a user sees.
SUBPROCESS_SAMPLE = [
    "data-fifo",
    "data-gz-truncated",
    "catalog-unknown-param",
    "setting-cv-word",
    "setting-scoring-r2-on-classes",
    "out-holds-a-run",
    "resume-log-garbage",
    "predict-text-column",
    "export-onto-model",
    "report-output-missing-folder",
]

OK_ROWS = "".join(f"{i},{'xy'[i % 2]},{i % 2}\n" for i in range(12))


def table(header: str, rows: str) -> bytes:
    return (header + "\n" + rows).encode()


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def data_files(train: pd.DataFrame) -> dict[str, bytes]:
    """Bad (and a few good) tables by file name."""
    good = table("a,b,target", OK_ROWS)
    new = train.drop(columns=["target"])

    def new_with(change) -> bytes:
        frame = new.astype(object).copy()
        change(frame)
        return frame.to_csv(index=False).encode()

    return {
        "empty.csv": b"",
        "blank.csv": b"\n\n   \n\n",
        "header.csv": b"a,b,target\n",
        "header-crlf.csv": b"a,b,target\r\n",
        "nul.csv": good + b"1,\x00\x01,0\n",
        "picture.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        "utf16.csv": "a,b,target\n1,x,0\n2,y,1\n".encode("utf-16-le"),
        "dup.csv": table("a,a,target", OK_ROWS),
        "dup-spaces.csv": table("a, a ,target", OK_ROWS),
        "dup-target.csv": table("a,target,target", OK_ROWS),
        "label.csv": table("a,b,label", OK_ROWS),
        "no-header.csv": "".join(f"{i + 10},{'xy'[i % 2]},{i % 2}\n" for i in range(12)).encode(),
        "one-class.csv": table("a,b,target", "".join(f"{i},x,1\n" for i in range(12))),
        "one-class-gaps.csv": table("a,b,target", "".join(f"{i},x,{1 if i % 3 else ''}\n" for i in range(12))),
        "no-target-values.csv": table("a,b,target", "".join(f"{i},x,\n" for i in range(12))),
        "na-target.csv": table("a,b,target", "".join(f"{i},x,NA\n" for i in range(12))),
        "inf.csv": good + b"inf,x,1\n",
        "neg-inf.csv": good + b"-inf,y,0\n",
        "overflow.csv": good + b"1e999,y,0\n",
        "inf-target.csv": table("a,b,target", "".join(f"{i},x,{i * 1.37}\n" for i in range(30)) + "1,x,inf\n"),
        "label-target.csv": table("a,b,target", "".join(f"{i},x,{'no' if i % 2 else 'yes'}\n" for i in range(12))),
        "three-rows.csv": table("a,b,target", "1,x,0\n2,y,1\n3,x,0\n"),
        "ragged.csv": table("a,b,target", OK_ROWS + "1,2,3,4,5,6\n" + OK_ROWS),
        "quote.csv": table("a,b,target", OK_ROWS + '1,"never closed,0\n' + OK_ROWS),
        "only-target.csv": table("target", "".join(f"{i % 2}\n" for i in range(12))),
        "ids.csv": table("row,id,target", "".join(f"{i},u{i:04d},{i % 2}\n" for i in range(24))),
        "empty-features.csv": table("a,b,target", "".join(f",,{i % 2}\n" for i in range(12))),
        "fake.csv.gz": good,
        "truncated.csv.gz": gzipped(good * 50)[:60],
        "hollow.csv.gz": gzipped(b""),
        "fake.csv.bz2": good,
        "fake.csv.xz": good,
        "truncated.csv.xz": lzma.compress(good * 50)[:60],
        "fake.csv.zip": good,
        "two.csv.zip": zipped({"a.csv": good, "b.csv": good}),
        "none.csv.zip": zipped({}),
        "fake.parquet": good,
        "empty.parquet": b"",
        "reg.csv": table("a,b,target", "".join(f"{i},{'xy'[i % 2]},{i * 1.37:.2f}\n" for i in range(40))),
        "three.csv": table("a,b,target", "".join(f"{i},{i % 5}.5,{'abc'[i % 3]}\n" for i in range(36))),
        "yesno.csv": table("a,b,target", "".join(f"{i},{i % 5}.5,{'no' if i % 2 else 'yes'}\n" for i in range(24))),
        "rare.csv": table(
            "a,b,target", "".join(f"{i},{i % 5}.5,{label}\n" for i, label in enumerate("ab" * 10 + "ccc"))
        ),
        "ca.pem": b"-----BEGIN CERTIFICATE-----\nnot a real one\n-----END CERTIFICATE-----\n",
        "new.csv": new.to_csv(index=False).encode(),
        "new-header.csv": (",".join(new.columns) + "\n").encode(),
        "new-dup.csv": new.rename(columns={"mean_texture": "mean_radius"}).to_csv(index=False).encode(),
        "new-missing.csv": new.drop(columns=["mean_radius"]).to_csv(index=False).encode(),
        "new-text.csv": new_with(lambda f: f.__setitem__("mean_radius", "big")),
        "new-some-text.csv": new_with(lambda f: f.__setitem__("mean_radius", ["twelve", *f["mean_radius"][1:]])),
        "new-gap.csv": new_with(lambda f: f.__setitem__("mean_radius", [None, *f["mean_radius"][1:]])),
        "new-inf.csv": new_with(lambda f: f.__setitem__("mean_radius", [float("inf"), *f["mean_radius"][1:]])),
    }


LR = '[operators.LR]\nimport = "sklearn.linear_model.LogisticRegression"\nrole = "model"\n'
LR_C = LR + "[operators.LR.params]\nC = { float = [0.1, 10.0] }\n"
SCALER = '[operators.Scaler]\nimport = "sklearn.preprocessing.StandardScaler"\nrole = "transformer"\n'


def catalogs() -> dict[str, str]:
    """Bad catalogs by file name (each has one fault; the rest is a valid logistic regression)."""
    with_param = LR + "[operators.LR.params]\n"
    return {
        "malformed.toml": LR + "[operators.LR.params\nC = 1\n",
        "empty.toml": "",
        "unknown-table.toml": LR + "[models.X]\nfoo = 1\n",
        "header-field.toml": '[catalog]\nname = "mine"\n' + LR,
        "operators-list.toml": "operators = [1, 2]\n",
        "operator-field.toml": LR + 'module = "sklearn"\n',
        "no-import.toml": '[operators.LR]\nrole = "model"\n',
        "undotted.toml": '[operators.LR]\nimport = "LogisticRegression"\nrole = "model"\n',
        "no-role.toml": '[operators.LR]\nimport = "sklearn.linear_model.LogisticRegression"\n',
        "bad-role.toml": '[operators.LR]\nimport = "sklearn.linear_model.LogisticRegression"\nrole = "estimator"\n',
        "stack.toml": LR + 'stack = "yes"\n',
        "bad-name.toml": '[operators.X]\nimport = "sklearn.linear_model.LogisticRegression"\nrole = "model"\n',
        "untrusted.toml": LR + '[operators.Shell]\nimport = "os.system"\nrole = "transformer"\n',
        "untrusted-fixed.toml": LR
        + '[operators.Select]\nimport = "sklearn.feature_selection.SelectKBest"\nrole = "selector"\n'
        + 'fixed = { score_func = { object = "os.system" } }\n',
        "missing-module.toml": '[operators.LR]\nimport = "sklearn.nowhere.LogisticRegression"\nrole = "model"\n',
        "missing-class.toml": '[operators.LR]\nimport = "sklearn.linear_model.LogisticRegresion"\nrole = "model"\n',
        "module-import.toml": '[operators.LR]\nimport = "sklearn.linear_model"\nrole = "model"\n',
        "allowed-function.toml": LR + '[operators.Shell]\nimport = "os.getcwd"\nrole = "transformer"\n',
        "unknown-param.toml": with_param + "max_depth_like = { int = [1, 10] }\n",
        "unknown-fixed.toml": LR + "fixed = { n_trees = 10 }\n",
        "both.toml": LR + "fixed = { C = 1.0 }\n[operators.LR.params]\nC = { float = [0.1, 10.0] }\n",
        "fixed-bad.toml": LR + "fixed = { max_iter = -5 }\n",
        "fixed-table.toml": LR + "fixed = { max_iter = { value = 5 } }\n",
        "choice-bad.toml": with_param + 'penalty = { choices = ["l2", "l3"] }\n',
        "range-negative.toml": with_param + "C = { float = [-1.0, 1.0] }\n",
        "int-float.toml": '[operators.KNN]\nimport = "sklearn.neighbors.KNeighborsClassifier"\nrole = "model"\n'
        + "[operators.KNN.params]\nn_neighbors = { int = [1.5, 5] }\n",
        "inverted.toml": with_param + "C = { float = [10, 1] }\n",
        "empty-range.toml": with_param + "C = { float = [1, 1] }\n",
        "log-zero.toml": with_param + "C = { float = [0, 1], log = true }\n",
        "log-word.toml": with_param + 'C = { float = [0.1, 1], log = "yes" }\n',
        "nan-bound.toml": with_param + "C = { float = [0.1, nan] }\n",
        "inf-bound.toml": with_param + "C = { float = [0.1, inf] }\n",
        "choices-empty.toml": with_param + "penalty = { choices = [] }\n",
        "choices-text.toml": with_param + 'penalty = { choices = "l2" }\n',
        "choices-dup.toml": with_param + 'penalty = { choices = ["l2", "l2"] }\n',
        "two-kinds.toml": with_param + "C = { float = [0.1, 1.0], int = [1, 2] }\n",
        "domain-field.toml": with_param + "C = { float = [0.1, 1.0], step = 0.1 }\n",
        "none-range.toml": with_param + "C = { float = [0.1, 1.0], none = true }\n",
        "params-list.toml": LR + "params = [1, 2]\n",
        "regressor.toml": LR + '[operators.Ridge]\nimport = "sklearn.linear_model.Ridge"\nrole = "model"\n',
        "scaler-model.toml": LR
        + '[operators.StandardScaler]\nimport = "sklearn.preprocessing.StandardScaler"\nrole = "model"\n',
        "model-transformer.toml": LR
        + '[operators.Tree]\nimport = "sklearn.tree.DecisionTreeClassifier"\nrole = "transformer"\n',
        "scaler-selector.toml": LR
        + '[operators.Scaler]\nimport = "sklearn.preprocessing.StandardScaler"\nrole = "selector"\n',
        "no-model.toml": SCALER,
        "include-missing.toml": '[catalog]\ninclude = ["nowhere.toml"]\n' + LR,
        "cycle-a.toml": '[catalog]\ninclude = ["cycle-b.toml"]\n' + LR,
        "cycle-b.toml": '[catalog]\ninclude = ["cycle-a.toml"]\n' + SCALER,
        "include-text.toml": '[catalog]\ninclude = "other.toml"\n' + LR,
        "twice.toml": '[catalog]\ninclude = ["lr.toml"]\n' + LR,
        "lr.toml": LR,
        "start-garbage.toml": '[catalog]\nstart = ["LR(((X"]\n' + LR_C,
        "start-text.toml": '[catalog]\nstart = "LR(X, C=1.0)"\n' + LR_C,
        "start-unknown.toml": '[catalog]\nstart = ["SVC(X, C=1.0)"]\n' + LR_C,
        "start-missing.toml": '[catalog]\nstart = ["LR(X)"]\n' + LR_C,
        "start-outside.toml": '[catalog]\nstart = ["LR(X, C=99.0)"]\n' + LR_C,
        "start-x.toml": '[catalog]\nstart = ["X"]\n' + LR_C,
        "start-scaler.toml": '[catalog]\nstart = ["Scaler(X)"]\n' + LR_C + SCALER,
    }


def damage_run_json(field_changes: dict):
    def damage(run: Path) -> None:
        info = json.loads((run / "run.json").read_text())
        for dotted, value in field_changes.items():
            *parents, last = dotted.split(".")
            holder = info
            for part in parents:
                holder = holder[part]
            if value is None:
                holder.pop(last, None)
            else:
                holder[last] = value.replace("W/", f"{run.parent}/") if isinstance(value, str) else value
        (run / "run.json").write_text(json.dumps(info))

    return damage


def write(name: str, data: bytes):
    return lambda run: (run / name).write_bytes(data)


def remove(name: str):
    return lambda run: (run / name).unlink()


def edit_checkpoint(change):
    def damage(run: Path) -> None:
        document = json.loads((run / "checkpoint.json").read_text())
        change(document)
        (run / "checkpoint.json").write_text(json.dumps(document))

    return damage


def checkpoint_directory(run: Path) -> None:
    (run / "checkpoint.json").unlink()
    (run / "checkpoint.json").mkdir()


def foreign_log(run: Path) -> None:
    import sqlite3

    (run / "evaluations.sqlite").unlink()
    with sqlite3.connect(run / "evaluations.sqlite") as db:
        db.execute("CREATE TABLE evaluations (name TEXT, value REAL)")
        db.execute("INSERT INTO evaluations VALUES ('a', 1.0)")
    db.close()


def changed_data(run: Path) -> None:
    frame = pd.read_csv(run.parent / "train.csv")
    frame.loc[0, "mean_radius"] += 1
    frame.to_csv(run.parent / "changed.csv", index=False)
    damage_run_json({"data.path": "W/changed.csv"})(run)


DAMAGED_RUNS = {
    "run-json-garbage": write("run.json", b"{ this is not json"),
    "run-json-empty": write("run.json", b""),
    "run-json-list": write("run.json", b"[1, 2, 3]"),
    "run-json-binary": write("run.json", b"\xff\xfe\x00\x01"),
    "run-no-settings": damage_run_json({"settings": None}),
    "run-no-scheduler": damage_run_json({"settings.scheduler": None}),
    "run-bad-setting": damage_run_json({"settings.cv": "five"}),
    "run-bad-seed": damage_run_json({"seed": "zero"}),
    "run-no-task": damage_run_json({"task": None}),
    "run-no-data": damage_run_json({"data": None}),
    "run-data-gone": damage_run_json({"data.path": "W/gone.csv"}),
    "run-data-changed": changed_data,
    "run-catalog-gone": damage_run_json({"catalog": "W/gone.toml", "settings.operators": "W/gone.toml"}),
    "run-running": lambda run: (
        damage_run_json({"status": "running", "best_key": None, "best_score": None})(run),
        remove("model.pkl")(run),
    ),
    "run-best-key-garbage": damage_run_json({"best_key": "LogisticRegression((("}),
    "run-front-gone": remove("pareto_front.csv"),
    "run-checkpoint-garbage": write("checkpoint.json", b"\x00garbage"),
    "run-checkpoint-edited": edit_checkpoint(lambda d: d["state"].__setitem__("generation", 7)),
    "run-checkpoint-format": edit_checkpoint(lambda d: d.__setitem__("format", "other/1")),
    "run-checkpoint-directory": checkpoint_directory,
    "run-log-garbage": write("evaluations.sqlite", b"SQLite format 3\x00" + b"\x07" * 2000),
    "run-log-foreign": foreign_log,
    "run-model-altered": lambda run: (run / "model.pkl").write_bytes((run / "model.pkl").read_bytes() + b"\x00"),
    "run-model-truncated": lambda run: (run / "model.pkl").write_bytes((run / "model.pkl").read_bytes()[:100]),
    "run-model-no-checksum": remove("model.pkl.sha256"),
}


def build_workspace(folder: Path) -> Path:
    """Every input of the table in ``folder``, and one finished tiny run (a real search) with damaged copies."""
    train = pd.read_csv(CANCER).head(150)
    train.to_csv(folder / "train.csv", index=False)
    for name, data in data_files(train).items():
        (folder / name).write_bytes(data)
    pd.read_csv(folder / "three.csv").to_parquet(folder / "good.parquet")
    (folder / "folder.csv").mkdir()
    (folder / "folder.toml").mkdir()
    os.mkfifo(folder / "pipe.csv")
    (folder / "dangling.csv").symlink_to(folder / "gone" / "data.csv")
    (folder / "new-link.csv").symlink_to(folder / "new.csv")
    (folder / "train-link.csv").symlink_to(folder / "train.csv")
    (folder / "cat").mkdir()
    for name, text in catalogs().items():
        (folder / "cat" / name).write_text(text)
    (folder / "cat" / "latin1.toml").write_bytes(LR.replace("LR", "LR_é").encode("latin-1"))
    (folder / "cat" / "binary.toml").write_bytes(b"\x00\x01\x02\xff")
    run = cli("fit", folder / "train.csv", "--target", "target", "--scheduler", "in-process", "--operators", "light",
              "--generations", "1", "--population-size", "4", "--cv", "3", "--out", folder / "run")  # fmt: skip
    assert run.returncode == 0, run.stderr
    for name, damage in DAMAGED_RUNS.items():
        shutil.copytree(folder / "run", folder / name)
        damage(folder / name)
    return folder


def expand(text: str, folder: Path) -> str:
    return text.replace("W/", f"{folder}/")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad") / "W"
    folder.mkdir()
    return build_workspace(folder)


@pytest.fixture(scope="module")
def results(workspace) -> dict:
    """Every case of the table, run in one driver process inside the working folder."""
    cases = [(case_id, shlex.split(expand(argv, workspace))) for case_id, argv, _, _ in CASES]
    cases_file = workspace.parent / "cases.json"
    cases_file.write_text(json.dumps(cases))
    run = subprocess.run(
        [sys.executable, "-m", "tests.bad_input_driver", str(cases_file)],
        cwd=workspace,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert run.returncode == 0 and not run.stderr, run.stderr  # nothing printed past the captured streams
    return json.loads(run.stdout)


def assert_refused(code: int, stderr: str, created: list[str], expected_code: int, fragment: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("gp-automl: error: "), stderr
    assert fragment in lines[0], lines[0]
    assert code == expected_code, (code, lines[0])
    # run.lock keeps the note of the last process that held the lock (rundir.RunLock): a refused
    # resume held it for a moment; the lock file itself is never created or removed
    assert [change for change in created if not (change.startswith("changed ") and change.endswith("/run.lock"))] == []


@pytest.mark.parametrize("case_id, argv, code, fragment", CASES, ids=[case[0] for case in CASES])
def test_bad_input_is_one_line_the_right_code_and_changes_nothing(results, workspace, case_id, argv, code, fragment):
    result = results[case_id]
    assert_refused(result["code"], result["stderr"], result["changes"], code, expand(fragment, workspace))


def test_the_table_covers_every_command_and_exit_code():
    assert len({case[0] for case in CASES}) == len(CASES) >= 150
    commands = {shlex.split(case[1])[0] for case in CASES if case[1]}
    assert {"fit", "resume", "predict", "export", "report"} <= commands
    assert {case[2] for case in CASES} == {2, 3, 4, 5, 6}


@pytest.mark.parametrize("case_id", SUBPROCESS_SAMPLE)
def test_a_real_process_sees_what_the_driver_saw(results, workspace, case_id):
    [(_, argv, code, fragment)] = [case for case in CASES if case[0] == case_id]
    before = snapshot(workspace)
    run = cli(*shlex.split(expand(argv, workspace)), cwd=workspace)
    assert_refused(run.returncode, run.stderr, changes(before, snapshot(workspace)), code, expand(fragment, workspace))
    assert (run.returncode, run.stderr) == (results[case_id]["code"], results[case_id]["stderr"])


def test_a_report_of_a_finished_run_leaves_its_folder_as_it_was(workspace, tmp_path):
    """A reader of the evaluation log creates no -wal/-shm files beside a finished run's log."""
    before = snapshot(workspace / "run")
    run = cli("report", workspace / "run", "-o", tmp_path / "report.html")
    assert run.returncode == 0, run.stderr
    assert changes(before, snapshot(workspace / "run")) == []
