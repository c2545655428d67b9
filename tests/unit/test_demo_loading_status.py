"""The demo load's status file, as its writer (demo.status) leaves it and the feed reads it."""
from __future__ import annotations

import json
import subprocess
import sys

from demo.status import StatusFile
from services.opendata.loading import STATUS_FILE, Loading, current_load
from services.opendata.page import NOW, PageView, render


def test_no_status_file_means_no_load(tmp_path):
    assert current_load(tmp_path) is None


def test_a_load_in_progress_is_read_with_its_counts_and_a_finished_one_is_not(tmp_path):
    status = StatusFile(tmp_path, total=23059, every_s=0)
    status.progress(0)
    assert current_load(tmp_path) == Loading(sent=0, total=23059)
    status.progress(1200)
    assert current_load(tmp_path) == Loading(sent=1200, total=23059)
    status.finish(23059, interrupted=False)
    assert current_load(tmp_path) is None
    assert json.loads((tmp_path / STATUS_FILE).read_text())["state"] == "loaded"


def test_an_interrupted_load_is_not_reported_as_loading(tmp_path):
    status = StatusFile(tmp_path, total=10, every_s=0)
    status.progress(3)
    status.finish(3, interrupted=True)
    assert current_load(tmp_path) is None


def test_progress_is_written_at_most_once_per_interval_but_the_end_always(tmp_path):
    status = StatusFile(tmp_path, total=10, every_s=3600)
    status.progress(1)
    status.progress(7)
    assert current_load(tmp_path) == Loading(1, 10)
    status.finish(10, interrupted=False)
    assert json.loads((tmp_path / STATUS_FILE).read_text())["sent"] == 10


def test_a_file_left_by_a_loader_that_is_gone_does_not_count(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    (tmp_path / STATUS_FILE).write_text(json.dumps(
        {"state": "loading", "sent": 5, "total": 10, "pid": int(gone.stdout)}))
    assert current_load(tmp_path) is None


def test_a_malformed_status_file_is_ignored(tmp_path):
    (tmp_path / STATUS_FILE).write_text("{not json")
    assert current_load(tmp_path) is None
    (tmp_path / STATUS_FILE).write_text(json.dumps({"state": "loading", "pid": 0}))
    assert current_load(tmp_path) is None


def test_the_page_says_demo_data_is_loading_only_while_it_loads():
    loading = render(PageView("440700", NOW, [], loading=Loading(12345, 23059)))
    assert "Demo data is loading: 12,345 / 23,059 commands in" in loading
    assert 'role="status"' in loading
    assert "Demo data is loading" not in render(PageView("440700", NOW, []))
