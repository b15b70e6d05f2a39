from gp_automl.archive import Archive
from gp_automl.result import ERROR, OK, EvalResult
from gp_automl.tree import PipelineTree

X = PipelineTree("X")


def add(archive, name, score, complexity, status=OK):
    tree = PipelineTree.node(name, {"n": complexity}, X)
    archive.add(tree, EvalResult(tree.key, status, (score,), score, complexity), generation=0)


def test_front_keeps_exactly_the_non_dominated_best_first():
    archive = Archive()
    add(archive, "A", 0.80, 1)
    add(archive, "B", 0.85, 2)
    add(archive, "C", 0.84, 3)  # dominated by B
    add(archive, "D", 0.90, 4)
    add(archive, "E", 0.90, 5)  # dominated by D (same score, larger)
    add(archive, "F", 0.99, 1, status=ERROR)  # failures never count
    add(archive, "G", 0.80, 1)  # equal to A in both objectives: both stay
    front = archive.front()
    assert [e.tree.op for e in front] == ["D", "B", "A", "G"]
    assert archive.best().tree.op == "D"
    assert archive.failures == 1 and len(archive) == 7


def test_empty_archive_has_no_best():
    assert Archive().best() is None and Archive().front() == []
