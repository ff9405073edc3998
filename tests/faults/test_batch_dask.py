"""Issue 10, surface: the Dask dashboard of ``--workers N`` bound 0.0.0.0 unauthenticated. The local cluster
now runs without a dashboard; the scheduler's HTTP port (health only) and every worker listen on 127.0.0.1."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from dealopt.batch.executor import DaskExecutor, executor


def _ident(x: int) -> int:
    return x


def test_local_cluster_has_no_dashboard_and_listens_on_loopback_only() -> None:
    with executor(workers=1) as ex:
        assert isinstance(ex, DaskExecutor)
        info = ex.client.scheduler_info()
        assert info["address"].startswith("tcp://127.0.0.1:")
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in info["workers"])
        http = ex._cluster.scheduler.http_server
        assert {s.getsockname()[0] for s in http._sockets.values()} == {"127.0.0.1"}
        port = info["services"]["dashboard"]
        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5)
        assert page.value.code == 404
        assert ex.map(_ident, [1, 2, 3]) == [1, 2, 3]
