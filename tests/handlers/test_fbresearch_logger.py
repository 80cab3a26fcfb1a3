"""FBResearchLogger: the same log lines as pytorch-ignite's (timings masked), side by side."""

from __future__ import annotations

import logging
import re

import ignite.handlers.fbresearch_logger as ig_fb
import oxignite.handlers as ox_handlers
import oxignite.handlers.fbresearch_logger as ox_fb
import pytest
import torch

from ._logger_parity import IGNITE, OXIGNITE
from .conftest import make_data, make_update

MODS = {"ignite": ig_fb, "oxignite": ox_fb}


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _mask(line: str) -> str:
    # durations are the only thing that differ between two runs
    line = re.sub(r"\d+:\d\d:\d\d", "H:MM:SS", line)
    return re.sub(r"\d+\.\d{4} s", "T s", line)


def _log_lines(lib, max_epochs, groups, **attach_kwargs) -> list[str]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    params = (
        [{"params": model[0].parameters()}, {"params": model[2].parameters(), "lr": 0.002}]
        if groups == 2
        else model.parameters()
    )
    optimizer = torch.optim.SGD(params, lr=0.01)
    update = make_update(model, optimizer)
    trainer = lib.Engine(lambda e, b: {"loss": update(e, b), "t": torch.tensor([1.0, 2.0])})
    trainer.add_event_handler(lib.Events.STARTED, lambda e: setattr(e.state, "alpha", 3))

    logger = logging.getLogger(f"fb-test-{lib.name}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    sink = _Lines()
    logger.handlers = [sink]
    fb = MODS[lib.name].FBResearchLogger(logger, **attach_kwargs.pop("init", {}))
    fb.attach(trainer, optimizer=optimizer, **attach_kwargs)
    trainer.run(make_data(4), max_epochs=max_epochs)
    return sink.lines


@pytest.mark.parametrize(
    ("max_epochs", "groups", "kwargs"),
    [
        (2, 1, {"name": "Train", "every": 2}),
        (
            2,
            2,
            {
                "name": "Train",
                "init": {"show_output": True, "delimiter": " | "},
                "output_transform": lambda out: {"loss": out["loss"], "t": out["t"]},
                "state_attributes": ["alpha", "missing"],
            },
        ),
        (1, 1, {"name": "Eval", "every": 3, "init": {"show_output": True}}),
    ],
)
def test_same_lines_as_ignite(max_epochs, groups, kwargs):
    ig_lines = _log_lines(IGNITE, max_epochs, groups, **dict(kwargs))
    ox_lines = _log_lines(OXIGNITE, max_epochs, groups, **dict(kwargs))
    assert [_mask(x) for x in ox_lines] == [_mask(x) for x in ig_lines]
    assert ox_lines[0] == f"{kwargs['name']}: start epoch [1/{max_epochs}]"
    if max_epochs > 1:
        delimiter = kwargs.get("init", {}).get("delimiter", "  ")
        expected = f"{kwargs['name']}: run completed{delimiter}Total time: H:MM:SS"
        assert _mask(ox_lines[-1]) == expected
    else:
        assert ox_lines[-1].startswith("Eval:   Total time: ")  # no epoch info, no run line


def test_progress_line_content():
    lines = _log_lines(
        OXIGNITE,
        1,
        2,
        name="Train",
        init={"show_output": True},
        state_attributes=["alpha"],
    )
    line = _mask(lines[1])
    assert line.startswith("Epoch [1/1]  [1/4]:  ETA: H:MM:SS  lr [g0]: 0.01000lr [g1]: 0.00200  ")
    assert "  t: [1.0000, 2.0000]  alpha: 3.0000  Iter time: T s  Data prep time: T s" in line
    assert re.search(r"loss: \d+\.\d{4}", line)


def test_exported_from_handlers():
    assert ox_handlers.FBResearchLogger is ox_fb.FBResearchLogger
    assert ox_fb.__all__ == ig_fb.__all__ == ["FBResearchLogger"]


def _doc_example(engine_mod, fb_mod, utils_mod, name) -> list[str]:
    # ignite's docstring example of FBResearchLogger, with the imports given as arguments.
    torch.manual_seed(0)
    model = torch.nn.Linear(10, 5)
    opt = torch.optim.SGD(model.parameters(), lr=0.001)
    criterion = torch.nn.CrossEntropyLoss()
    data = [(torch.rand(4, 10), torch.randint(0, 5, size=(4,))) for _ in range(100)]
    trainer = engine_mod.create_supervised_trainer(
        model,
        opt,
        criterion,
        output_transform=lambda x, y, y_pred, loss: {"total_loss": loss.item()},
    )
    logger = utils_mod.setup_logger(name, level=logging.INFO)
    sink = _Lines()
    logger.addHandler(sink)
    logger = fb_mod.FBResearchLogger(logger=logger, show_output=True)
    logger.attach(trainer, name="Train", every=20, optimizer=opt)
    trainer.run(data, max_epochs=4)
    return sink.lines


def test_ignite_doc_example_with_changed_imports():
    import ignite.engine
    import ignite.utils
    import oxignite.engine
    import oxignite.utils

    ig_lines = _doc_example(ignite.engine, ig_fb, ignite.utils, "fb-doc-ig")
    ox_lines = _doc_example(oxignite.engine, ox_fb, oxignite.utils, "fb-doc-ox")
    assert [_mask(x) for x in ox_lines] == [_mask(x) for x in ig_lines]
    assert len(ox_lines) == 4 * (1 + 5 + 1) + 1  # per epoch: start, 5 progress, end; run end
    # (the docstring shows [19/100] here, from an older ignite; 0.5.5 prints [20/100])
    assert _mask(ox_lines[8]).startswith("Epoch [2/4]  [20/100]:  ETA: H:MM:SS  lr: 0.00100  ")
