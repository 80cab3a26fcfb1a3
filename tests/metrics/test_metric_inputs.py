"""The native per-batch input helpers of metrics (rust/src/metric_inputs.rs): the same
results as the Python they replace, for tensors, tensor subclasses and other objects."""

import pytest
import torch
from oxignite._core import detached_pair, is_tensor_pair, on_device


class Tagged(torch.Tensor):
    """A tensor subclass: its attributes are read the plain way, through torch."""


def test_is_tensor_pair_accepts_tuples_of_two_tensors_only():
    a, b = torch.zeros(2), torch.ones(2)
    assert is_tensor_pair((a, b))
    assert is_tensor_pair((torch.nn.Parameter(a), a.as_subclass(Tagged)))
    for output in [[a, b], (a,), (a, b, a), (a, [1.0]), (1, 2), None, a]:
        assert not is_tensor_pair(output), output
    # a subclass of tuple (a namedtuple, say) is not the plain pair either
    assert not is_tensor_pair(type("Pair", (tuple,), {})((a, b)))


@pytest.mark.parametrize("wrap", [tuple, list])
def test_detached_pair_returns_inputs_out_of_any_graph_with_their_shapes(wrap):
    weight = torch.rand(3, 4, requires_grad=True)
    y_pred, y = weight * 2, torch.rand(3, 1)
    out_pred, out_y, pred_shape, y_shape = detached_pair(wrap([y_pred, y]))
    assert not out_pred.requires_grad and out_pred.grad_fn is None
    assert out_pred.data_ptr() == y_pred.data_ptr()  # detach() shares the storage
    assert out_y is y  # nothing to detach: the tensor itself
    assert (pred_shape, y_shape) == (torch.Size([3, 4]), torch.Size([3, 1]))
    assert type(pred_shape) is torch.Size


def test_detached_pair_reads_subclasses_through_torch():
    param = torch.nn.Parameter(torch.rand(2, 2))
    tagged = torch.rand(5).as_subclass(Tagged)
    out_param, out_tagged, param_shape, tagged_shape = detached_pair((param, tagged))
    assert not out_param.requires_grad and torch.equal(out_param, param.detach())
    assert out_tagged is tagged and tagged_shape == (5,) and param_shape == (2, 2)


def test_detached_pair_errors_are_pythons():
    with pytest.raises(AttributeError, match="requires_grad"):
        detached_pair(([1.0], torch.zeros(1)))
    with pytest.raises(IndexError):
        detached_pair((torch.zeros(1),))


def test_on_device_keeps_tensors_already_there_and_moves_the_others():
    t = torch.rand(3)
    assert on_device(t, torch.device("cpu")) is t
    moved = on_device(t, torch.device("meta"))
    assert moved.device == torch.device("meta") and moved.shape == t.shape
    meta = torch.empty(2, device="meta")
    assert on_device(meta, torch.device("meta")) is meta
    # cpu:0 is not torch.device("cpu"): moved by `to`, as `t.device == device` decides
    assert torch.equal(on_device(t, torch.device("cpu", 0)), t)
    tagged = t.as_subclass(Tagged)
    assert on_device(tagged, torch.device("cpu")) is tagged
