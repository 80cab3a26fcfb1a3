"""MetricsLambda and metric arithmetic: results equal the same arithmetic on the values."""

from __future__ import annotations

import pytest
import torch
from oxignite.metrics import Accuracy, Average, MetricsLambda, Precision, Recall


def _precision_recall(y_pred, y):
    p, r = Precision(average=False), Recall(average=False)
    for m in (p, r):
        m.update((y_pred, y))
    return p.compute(), r.compute()


def test_arithmetic_operators():
    y_pred, y = torch.randn(40, 3), torch.randint(0, 3, (40,))
    p_val, r_val = _precision_recall(y_pred, y)
    precision, recall = Precision(average=False), Recall(average=False)
    cases = {
        "add": (precision + recall, p_val + r_val),
        "radd": (1 + precision, 1 + p_val),
        "sub": (precision - recall, p_val - r_val),
        "rsub": (1 - recall, 1 - r_val),
        "mul": (precision * 2, p_val * 2),
        "rmul": (2 * precision, 2 * p_val),
        "div": (precision / (recall + 1), p_val / (r_val + 1)),
        "rdiv": (1.0 / (precision + 1), 1.0 / (p_val + 1)),
        "pow": (precision**2, p_val**2),
        "rpow": (2**precision, 2**p_val),
        "mod": (precision % 0.3, p_val % 0.3),
        "floordiv": ((precision * 10) // 3, (p_val * 10) // 3),
        "index": (precision[1], p_val[1]),
        "method": ((precision * recall).mean(), (p_val * r_val).mean()),
        "method_args": (precision.sum(dim=0), p_val.sum(dim=0)),
    }
    lambdas = [metric for metric, _ in cases.values()]
    for metric in lambdas:
        metric.update((y_pred, y))
    for name, (metric, expected) in cases.items():
        torch.testing.assert_close(metric.compute(), expected, msg=name)


def test_shared_source_updated_once():
    avg = Average()
    doubled = MetricsLambda(lambda a, b: a + b, avg, avg)
    doubled.update(3.0)
    doubled.update(5.0)
    assert avg.num_examples == 2
    assert doubled.compute().item() == pytest.approx(8.0)


def test_kwargs_and_constants():
    acc = Accuracy()
    lam = MetricsLambda(lambda a, scale, offset: a * scale + offset, acc, 100, offset=acc)
    lam.update((torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([1, 1])))
    assert lam.compute() == pytest.approx(0.5 * 100 + 0.5)


def test_unknown_method_fails_at_compute():
    acc = Accuracy()
    bad = acc.not_a_method()
    bad.update((torch.tensor([[0.0, 1.0]]), torch.tensor([1])))
    with pytest.raises(AttributeError, match="has no attribute 'not_a_method'"):
        bad.compute()


def test_attached_lambda_and_detach(echo_engine):
    data = [(torch.randn(10, 3), torch.randint(0, 3, (10,))) for _ in range(3)]
    precision, recall = Precision(average=False), Recall(average=False)
    f1 = (2 * precision * recall / (precision + recall + 1e-20)).mean()
    engine = echo_engine()
    f1.attach(engine, "f1")
    assert f1.is_attached(engine)
    state = engine.run(data)
    y_pred = torch.cat([b[0] for b in data])
    y = torch.cat([b[1] for b in data])
    p_val, r_val = _precision_recall(y_pred, y)
    expected = (2 * p_val * r_val / (p_val + r_val + 1e-20)).mean().item()
    assert state.metrics["f1"] == pytest.approx(expected)

    f1.detach(engine)
    assert not f1.is_attached(engine)
    # Sources keep their handlers, but the lambda's value is no longer written.
    del state.metrics["f1"]
    assert "f1" not in engine.run(data).metrics


def test_update_while_attached_and_attach_after_update(echo_engine):
    acc = Accuracy()
    lam = acc * 2
    engine = echo_engine()
    lam.attach(engine, "acc2")
    with pytest.raises(ValueError, match="already attached"):
        lam.update((torch.tensor([[0.0, 1.0]]), torch.tensor([1])))

    lam2 = Accuracy() * 2
    lam2.update((torch.tensor([[0.0, 1.0]]), torch.tensor([1])))
    with pytest.raises(ValueError, match="already updated"):
        lam2.attach(echo_engine(), "acc2")


def test_reset_resets_sources():
    acc = Accuracy()
    lam = acc + 0
    lam.update((torch.tensor([[0.0, 1.0]]), torch.tensor([1])))
    lam.reset()
    assert acc._num_examples == 0
