"""The demo's and `serve`'s children: out of the terminal's reach of Ctrl-C, and stopped one after another
in reverse start order, so the gateway finishes its last writes while the store it writes to still runs."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from gateway.processes import Supervisor

STORE = "import time; time.sleep(60)"
# on SIGTERM, waits a moment (long enough for a store told at once to be gone) and says whether the store runs
GATEWAY = """
import os, signal, sys, time
def stop(*_):
    time.sleep(0.3)
    try:
        os.kill(int(sys.argv[1]), 0)
        said = "store running"
    except ProcessLookupError:
        said = "store gone"
    open(sys.argv[2], "w").write(said)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[3], "w").write("ready")
time.sleep(60)
"""


def test_the_last_started_stops_first_while_the_earlier_still_run(tmp_path: Path):
    supervisor = Supervisor()
    try:
        store = supervisor.start("store", [sys.executable, "-c", STORE])
        said, ready = tmp_path / "said", tmp_path / "ready"
        supervisor.start("gateway", [sys.executable, "-c", GATEWAY, str(store.pid), str(said), str(ready)])
        deadline = time.monotonic() + 10
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        supervisor.stop_all()
    assert said.read_text() == "store running"
    assert store.returncode is not None


def test_children_are_out_of_reach_of_the_terminals_ctrl_c(tmp_path: Path):
    supervisor = Supervisor()
    try:
        child = supervisor.start("store", [sys.executable, "-c", STORE])
        assert os.getpgid(child.pid) != os.getpgrp()  # SIGINT to the terminal's group reaches the supervisor alone
    finally:
        supervisor.stop_all()
