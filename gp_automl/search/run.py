"""One search, start to end of the loop: cluster, run directory, evaluation log, checkpoints,
signals and progress. The estimator refits and exports what this returns."""

from __future__ import annotations

import random
import signal
from collections.abc import Callable
from dataclasses import dataclass

from gp_automl.archive import Archive, Entry
from gp_automl.checkpoint import CHECKPOINT, SearchState, load_checkpoint, save_checkpoint
from gp_automl.cv import make_folds
from gp_automl.data import Dataset
from gp_automl.evaluate import EvalContext
from gp_automl.executor import make_executor
from gp_automl.gp import Evolution
from gp_automl.journal import EVALUATION_LOG, EvaluationLog
from gp_automl.progress import Progress
from gp_automl.rundir import RUN_JSON, SEARCH_LOG, RunDir
from gp_automl.search.budget import Budget
from gp_automl.search.generational import GenerationalSearch, Hooks
from gp_automl.search.signals import graceful_stop
from gp_automl.space import Catalog

Say = Callable[[str], None]


@dataclass
class SearchOutcome:
    archive: Archive
    reason: str
    budget: Budget
    seed: int
    n_workers: int
    evaluated_now: int  # evaluations run in this session (not replayed from the log)
    elapsed: float  # search seconds (all sessions) when the loop stopped, before shutdown and refit


def run_search(
    settings,
    dataset: Dataset,
    catalog: Catalog,
    run_dir: RunDir | None,
    resuming: bool,
    run_info: Callable[[int, int], dict],
    progress: Progress,
) -> SearchOutcome:
    """Run the loop; with ``resuming``, continue the run in ``run_dir`` from its checkpoint and log."""
    rng = random.Random(settings.random_state)
    seed = settings.random_state if settings.random_state is not None else rng.randrange(2**31)
    folds = make_folds(settings.task, settings.cv, seed, dataset.X, dataset.y)
    context = EvalContext(dataset.X, dataset.y, folds, settings.scoring, catalog, seed, dataset.front)
    evolution = Evolution(
        catalog, settings.max_depth, settings.max_complexity, rng=rng, data_leaves=dataset.data_leaves
    )
    archive = Archive()
    budget = Budget(settings.max_time_mins, settings.generations, settings.early_stop)
    say = progress.say
    with make_executor(settings.scheduler, settings.n_workers) as executor:
        progress.n_workers = executor.n_workers
        say(f"evaluating on {executor.description}")
        log, start, replay = None, None, {}
        if run_dir is not None:
            if not resuming:
                run_dir.create()
            progress.attach_log(run_dir.file(SEARCH_LOG))
            log = EvaluationLog(run_dir.file(EVALUATION_LOG))
            if resuming:
                start, replay = _restore(run_dir, log, archive, budget, say)
            info = run_info(seed, executor.n_workers)
            run_dir.write_json(RUN_JSON, info)
        executor.start(context)
        evaluated_now = 0

        def on_result(entry: Entry) -> None:
            nonlocal evaluated_now
            evaluated_now += 1
            if log is not None:
                log.append(entry)
            progress.result(entry, archive, budget.remaining())

        hooks = Hooks(
            on_result=on_result,
            on_generation=lambda generation, archive: say(
                f"generation {generation}: {len(archive)} evaluated, "
                f"{budget.elapsed():.0f}s elapsed; "
                f"{progress.status(archive, budget.remaining())}"
            ),
            on_checkpoint=(lambda state: save_checkpoint(run_dir.file(CHECKPOINT), state)) if run_dir else _ignore,
        )
        search = GenerationalSearch(
            evolution, executor, archive, budget, settings.population_size, hooks, replay, settings.checkpoint_interval
        )

        def request_stop(signum: int) -> None:
            budget.interrupted = True
            say(
                f"{signal.Signals(signum).name}: stopping, then saving the best pipeline so far "
                "(Ctrl-C again to quit at once)"
            )

        try:
            with graceful_stop(request_stop):
                reason = search.run(start)
            elapsed = budget.elapsed()
        finally:
            if log is not None:
                log.close()
    return SearchOutcome(archive, reason, budget, seed, executor.n_workers, evaluated_now, elapsed)


def _restore(run_dir: RunDir, log: EvaluationLog, archive: Archive, budget: Budget, say: Say):
    """Archive <- the log up to the checkpoint; replay <- what was logged after it."""
    checkpoint = run_dir.file(CHECKPOINT)
    start: SearchState | None = load_checkpoint(checkpoint) if checkpoint.exists() else None
    logged = start.logged if start else 0
    for entry in log.entries(limit=logged):
        archive.add(entry.tree, entry.result, entry.generation)
    replay: dict[str, Entry] = {e.tree.key: e for e in log.entries(first=logged)}
    if start:
        budget.already_elapsed = start.elapsed
        where = "inside" if start.pending else "after"
        say(
            f"resuming {where} generation {start.generation}: {logged} evaluations, {len(replay)} more logged "
            f"after the checkpoint, {start.elapsed:.0f}s of budget used"
        )
    else:
        say(f"resuming before the first checkpoint: {len(replay)} logged evaluations will be reused")
    return start, replay


def _ignore(*args) -> None:
    return None
