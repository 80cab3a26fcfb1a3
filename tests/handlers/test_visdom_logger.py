"""VisdomLogger against a real Visdom server (started from the visdom package on a free
localhost port; the environments it saves are read back), side by side with pytorch-ignite's."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import ignite.handlers.visdom_logger as ig_vd
import oxignite.handlers.visdom_logger as ox_vd
import pytest
import torch

from ._logger_parity import (
    IGNITE,
    OXIGNITE,
    attach_common,
    bad_step,
    check_module_paths,
    same_error,
    train,
    wrong_logger,
)

visdom = pytest.importorskip("visdom")

MODS = {"ignite": ig_vd, "oxignite": ox_vd}

# The server's own entry point without its first step (downloading web assets from CDNs),
# which the logger does not need.
_SERVER = (
    "import sys; from visdom.server.run_server import start_server; "
    "start_server(port=int(sys.argv[1]), hostname='localhost', base_url='', "
    "env_path=sys.argv[2], bind_local=True)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env_path = tmp_path_factory.mktemp("visdom")
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(port), str(env_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("localhost", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, "the visdom server exited"
                assert time.monotonic() < deadline, "the visdom server did not start"
                time.sleep(0.1)
        yield port, env_path
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _logger(mod, port, env, **kwargs):
    return mod.VisdomLogger(
        server="http://localhost", port=port, env=env, use_incoming_socket=False, **kwargs
    )


def _lines(windows: dict) -> dict[str, dict]:
    """``{title: {x, y, name, xlabel, ylabel, showlegend}}`` of visdom line-plot windows."""
    out = {}
    for win in windows.values():
        (trace,) = win["content"]["data"]
        layout = win["content"]["layout"]
        out[win["title"]] = {
            "x": trace["x"],
            "y": trace["y"],
            "name": trace["name"],
            "xlabel": layout["xaxis"]["title"],
            "ylabel": layout["yaxis"]["title"],
            "showlegend": layout["showlegend"],
        }
    return out


def _server_lines(port, env) -> dict[str, dict]:
    """The plots the server holds in ``env``, asked through a client of our own."""
    client = visdom.Visdom(server="http://localhost", port=port, use_incoming_socket=False)
    return _lines(json.loads(client.get_window_data(env=env)))


@pytest.mark.parametrize("num_workers", [1, 0])
def test_same_plots_as_ignite(server, num_workers):
    port, env_path = server
    stores, loggers = {}, {}
    for lib in (IGNITE, OXIGNITE):
        mod = MODS[lib.name]
        env = f"{lib.name}_{num_workers}"
        logger = _logger(mod, port, env, num_workers=num_workers)

        def attach(lib, trainer, evaluator, model, optimizer, logger=logger, mod=mod):
            attach_common(logger, mod, lib, trainer, evaluator, optimizer)
            for handler in (
                mod.WeightsScalarHandler(model, tag="w", show_legend=True),
                mod.GradsScalarHandler(model),
            ):
                logger.attach(trainer, log_handler=handler, event_name=lib.Events.EPOCH_COMPLETED)

        train(lib, attach)
        loggers[lib.name] = logger
        logger.executor.shutdown()  # wait for the plots still being sent
        stores[lib.name] = _server_lines(port, env)
        # each handler call saves the environment on the server's disk; with the plots sent
        # from the engine's thread the saved file is complete
        saved = _lines(json.loads((env_path / f"{env}.json").read_text())["jsons"])
        if num_workers == 0:
            assert saved == stores[lib.name]
        logger.close()
        assert _server_lines(port, env) == {}  # close() closes the environment's windows

    same_error(
        bad_step(IGNITE, loggers["ignite"], ig_vd), bad_step(OXIGNITE, loggers["oxignite"], ox_vd)
    )

    ours = stores["oxignite"]
    assert ours == stores["ignite"]
    assert ours["training/loss"]["x"] == [1, 2, 3, 4, 5, 6]
    assert ours["training/loss"]["xlabel"] == str(OXIGNITE.Events.ITERATION_COMPLETED)
    assert ours["validation/per_class/1"]["y"] == [0.25, 0.5]
    assert ours["opt/lr/group_1"]["y"] == [0.02, 0.01]
    assert ours["w/weights_norm/0/weight"]["showlegend"] is True
    assert len(ours["grads_norm/2/bias"]["y"]) == 2
    assert "validation/name" not in ours  # text is not plotted


def test_unreachable_server_raises_as_ignite(server):
    port = _free_port()  # nobody listens there
    for mod in (ig_vd, ox_vd):
        with pytest.raises(Exception) as err:
            _logger(mod, port, "x", raise_exceptions=False)
        assert type(err.value) is RuntimeError
        assert "Failed to connect to Visdom server" in str(err.value)


def test_handlers_reject_other_loggers_as_ignite():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for make in (
        lambda m: m.OutputHandler("t", metric_names="all"),
        lambda m: m.OptimizerParamsHandler(opt),
        lambda m: m.WeightsScalarHandler(model),
        lambda m: m.GradsScalarHandler(model),
    ):
        same_error(wrong_logger(IGNITE, make(ig_vd)), wrong_logger(OXIGNITE, make(ox_vd)))


def test_missing_package_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "visdom", None)
    same_error(ig_vd.VisdomLogger, ox_vd.VisdomLogger)


def test_module_paths_as_ignite():
    check_module_paths("visdom_logger")
