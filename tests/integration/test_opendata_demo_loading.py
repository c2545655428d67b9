"""The real feed's page while the demo data loads: the loader's status file in the data
directory is read on every request, so the notice goes once the load has finished."""
from __future__ import annotations

from dataclasses import replace

import httpx

from demo.status import StatusFile
from opendata_fakes import PageDom, backend_settings, running_feed

NOTICE = "Demo data is loading"


def test_the_page_says_demo_data_is_loading_until_the_load_finishes(tmp_path):
    status = StatusFile(tmp_path, total=23059, every_s=0)
    with backend_settings() as settings, running_feed(replace(settings, data_dir=tmp_path)) as url, \
            httpx.Client(base_url=url, timeout=10) as client:
        def page() -> str:
            response = client.get("/", headers={"Accept": "text/html"})
            assert response.status_code == 200
            return response.text

        assert NOTICE not in page()
        status.progress(4321)
        during = page()
        assert f"{NOTICE}: 4,321 / 23,059 commands in" in during
        assert PageDom(during).body_rows(), "the indicator table is still shown"
        status.finish(23059, interrupted=False)
        assert NOTICE not in page()
        assert NOTICE not in client.get("/api/v1/indicators").text
