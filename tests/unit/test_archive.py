from gp_automl.archive import Archive
from gp_automl.result import ERROR, OK, TIMEOUT, EvalResult
from gp_automl.tree import PipelineTree

X = PipelineTree("X")


def add(archive, name, score, complexity, status=OK, generation=0):
    tree = PipelineTree.node(name, {"n": complexity}, X)
    archive.add(tree, EvalResult(tree.key, status, (score,), score, complexity), generation=generation)
    return tree.key


def test_front_keeps_exactly_the_non_dominated_best_first():
    archive = Archive()
    add(archive, "A", 0.80, 1)
    add(archive, "B", 0.85, 2)
    add(archive, "C", 0.84, 3)  # dominated by B
    add(archive, "E", 0.90, 5)  # dominated by D, which arrives later
    add(archive, "D", 0.90, 4)
    add(archive, "F", 0.99, 1, status=ERROR)  # failures never count
    add(archive, "G", 0.80, 1)  # equal to A in both objectives: both stay
    add(archive, "H", 0.70, 1, status=TIMEOUT)
    front = archive.front()
    assert [e.tree.op for e in front] == ["D", "B", "A", "G"]
    assert archive.best().tree.op == "D"
    assert archive.failures == 2 and archive.timeouts == 1 and len(archive) == 8
    archive.close()


def test_empty_archive_has_no_best():
    archive = Archive()
    assert archive.best() is None and archive.front() == [] and len(archive) == 0
    archive.close()


def test_memo_lives_in_the_log_and_a_restored_archive_counts_the_same(tmp_path):
    from gp_automl.journal import EvaluationLog

    archive = Archive(EvaluationLog(tmp_path / "log.sqlite"))
    a = add(archive, "A", 0.8, 1, generation=0)
    add(archive, "B", 0.9, 2, generation=1)
    add(archive, "C", 0.5, 1, status=ERROR, generation=1)
    assert a in archive and "nope" not in archive
    assert archive.result(a).score == 0.8
    assert archive.improved_in(1) and not archive.improved_in(2)
    before_1 = archive.keys_before(1)
    assert a in before_1
    assert PipelineTree.node("B", {"n": 2}, X).key not in before_1  # logged in generation 1 itself
    before_1.add("drawn")
    assert "drawn" in before_1
    archive.close()

    restored = Archive(EvaluationLog(tmp_path / "log.sqlite"))
    restored.restore()
    assert len(restored) == 3 and restored.failures == 1
    assert restored.front_signature() == {(0.9, 2), (0.8, 1)}
    assert [e.tree.key for e in restored.entries()][0] == a
    restored.close()


def test_improvement_is_judged_per_generation():
    archive = Archive()
    add(archive, "A", 0.8, 1, generation=0)
    add(archive, "B", 0.7, 3, generation=1)  # dominated: no change
    assert not archive.improved_in(1)
    add(archive, "C", 0.85, 2, generation=2)
    assert archive.improved_in(2)
    archive.close()
