"""One search, start to end of the loop: cluster, run directory, evaluation log, checkpoints,
signals and progress. The estimator refits and exports what this returns."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass

from dask.utils import format_bytes

from gp_automl.archive import Archive, Entry
from gp_automl.checkpoint import CHECKPOINT, SearchState, load_checkpoint, save_checkpoint
from gp_automl.config import ASYNC, AUTO, GENERATIONAL, RANDOM
from gp_automl.cv import make_folds
from gp_automl.data import Dataset
from gp_automl.errors import SchedulerLost
from gp_automl.evaluate import EvalContext
from gp_automl.executor import make_executor
from gp_automl.gp import Evolution
from gp_automl.journal import EVALUATION_LOG, EvaluationLog
from gp_automl.progress import Progress
from gp_automl.rundir import RUN_JSON, SEARCH_LOG, RunDir
from gp_automl.search.budget import SCHEDULER_LOST, Budget
from gp_automl.search.generational import GenerationalSearch, RandomSearch
from gp_automl.search.hooks import Hooks
from gp_automl.search.signals import graceful_stop
from gp_automl.search.steady import SteadyStateSearch
from gp_automl.space import Catalog

Say = Callable[[str], None]


@dataclass
class SearchOutcome:
    archive: Archive  # open: the caller reads the results, then closes it
    reason: str
    budget: Budget
    seed: int
    n_workers: int
    evaluated_now: int  # evaluations run in this session (not replayed from the log)
    elapsed: float  # search seconds (all sessions) when the loop stopped, before shutdown and refit
    utilization: float  # busy worker-seconds / available worker-seconds, this session
    driver_cpu: float  # CPU seconds of the driver process during the loop (with a LocalCluster: its scheduler too)
    evaluating: float  # wall seconds from workers ready to the loop's end, this session (no start-up)
    lost: SchedulerLost | None = None  # why the loop stopped when ``reason`` is SCHEDULER_LOST


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
    limit_s = settings.eval_limit_s()
    context = EvalContext(
        dataset.X, dataset.y, folds, settings.scoring, catalog, seed, dataset.front, limit_s, settings.max_eval_memory
    )
    evolution = Evolution(
        catalog, settings.max_depth, settings.max_complexity, rng=rng, data_leaves=dataset.data_leaves
    )
    budget = Budget(settings.max_time_mins, settings.generations, settings.early_stop)
    say = progress.say
    lost = None
    with make_executor(settings.scheduler, settings.n_workers, settings.security, say) as executor:
        say(f"evaluating on {executor.description}")
        say("limit per pipeline: none" if limit_s is None else f"limit per pipeline: {limit_s:g} s")
        say(f"memory per pipeline: {_memory_text(settings.max_eval_memory)}")
        archive = _open_archive(run_dir, resuming, progress)
        try:
            start = _restore(run_dir, archive, budget, say) if resuming else None
            if run_dir is not None:
                run_dir.write_json(RUN_JSON, run_info(seed, executor.n_workers))
            executor.start(context)
            progress.workers_ready(executor.n_workers)
            cpu_started = time.process_time()
            evaluated_now = 0

            def on_result(entry: Entry) -> None:
                nonlocal evaluated_now
                evaluated_now += 1
                progress.result(entry, archive, budget.remaining())

            def on_checkpoint(state: SearchState) -> None:
                if run_dir is not None:
                    save_checkpoint(run_dir.file(CHECKPOINT), state)

            hooks = Hooks(
                on_result=on_result,
                on_generation=lambda generation, archive: say(
                    f"generation {generation}: {len(archive)} evaluated, "
                    f"{budget.elapsed():.0f}s elapsed; "
                    f"{progress.status(archive, budget.remaining())}"
                ),
                on_checkpoint=on_checkpoint,
            )
            loop = {GENERATIONAL: GenerationalSearch, ASYNC: SteadyStateSearch, RANDOM: RandomSearch}[settings.mode]
            search = loop(
                evolution, executor, archive, budget, settings.population_size, hooks, settings.checkpoint_interval,
                settings.early_rejection,
            )  # fmt: skip

            def request_stop(signum: int) -> None:
                budget.interrupted = True
                say(
                    f"{signal.Signals(signum).name}: stopping, then saving the best pipeline so far "
                    "(Ctrl-C again to quit at once)"
                )

            with graceful_stop(request_stop):
                try:
                    reason = search.run(start)
                except SchedulerLost as exc:  # the loop checkpointed what was lost as pending
                    reason, lost = SCHEDULER_LOST, exc
                    say(f"{exc}; stopping")
            elapsed, utilization = budget.elapsed(), progress.utilization()
            driver_cpu = time.process_time() - cpu_started
            evaluating = time.monotonic() - progress.started
        except BaseException:
            archive.close()
            raise
    return SearchOutcome(
        archive, reason, budget, seed, executor.n_workers, evaluated_now, elapsed, utilization, driver_cpu, evaluating,
        lost,
    )  # fmt: skip


def _memory_text(max_eval_memory: int | str | None) -> str:
    if max_eval_memory is None:
        return "no limit"
    if max_eval_memory == AUTO:
        return "auto (the worker's memory limit, less what it holds)"
    return f"{format_bytes(max_eval_memory)} besides what it shares with its worker"


def _open_archive(run_dir: RunDir | None, resuming: bool, progress: Progress) -> Archive:
    """The run directory's log (created for a new run), or a temporary one without a run directory."""
    if run_dir is None:
        return Archive()
    if not resuming:
        run_dir.create()
    progress.attach_log(run_dir.file(SEARCH_LOG))
    return Archive(EvaluationLog(run_dir.file(EVALUATION_LOG)))


def _restore(run_dir: RunDir, archive: Archive, budget: Budget, say: Say) -> SearchState | None:
    """Count what the log holds; return the checkpoint to go on from (None: start over, reusing the log)."""
    checkpoint = run_dir.file(CHECKPOINT)
    start: SearchState | None = load_checkpoint(checkpoint) if checkpoint.exists() else None
    archive.restore()
    if start:
        budget.already_elapsed = start.elapsed
        where = "inside" if start.pending else "after"
        say(
            f"resuming {where} generation {start.generation}: {start.logged} evaluations, "
            f"{len(archive) - start.logged} more logged after the checkpoint, {start.elapsed:.0f}s of budget used"
        )
    else:
        say(f"resuming before the first checkpoint: {len(archive)} logged evaluations will be reused")
    return start
