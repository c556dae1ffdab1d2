"""No open doors on a shared cluster: every socket of a run listens on loopback unless it is
TLS-protected, the dashboard is served only on request, and a client without the run's
certificate is refused by the real SLURM-hosted cluster (which still gives in-process bytes)."""

from __future__ import annotations

import ipaddress
import os
import stat
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import psutil
import pytest
from distributed import Client
from distributed.security import Security

from espnet3_prep import set_parallel
from espnet3_prep.errors import ConfigError
from espnet3_prep.parallel import close_parallel, get_backend
from tests.helpers import SHARD_SIZE, cli_env, output_bytes, run_cli, start_cli
from tests.matrix import record
from tests.toy import ToyProvider, ToyRunner, expected


def _run_pids(client: Client) -> set[int]:
    """The driver (scheduler, nannies of a LocalCluster) and every worker and its nanny."""
    pids = {os.getpid()}
    for pid in client.run(os.getpid).values():
        pids |= {pid, psutil.Process(pid).ppid()}
    return pids


def _listening(pids: set[int]) -> list[tuple[int, str, int]]:
    out = []
    for pid in pids:
        for conn in psutil.Process(pid).net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                out.append((pid, conn.laddr.ip, conn.laddr.port))
    return out


def _http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def cluster(request: pytest.FixtureRequest) -> Iterator[Client]:
    set_parallel(request.param)
    try:
        out = ToyRunner(ToyProvider({"n": 12}), shard_size=4, progress=False)(range(12))
        assert [r["y"] for r in out] == expected(12)
        yield get_backend().client  # type: ignore[attr-defined]
    finally:
        close_parallel()
        set_parallel(None)


@pytest.mark.parametrize("cluster", [{"env": "local", "n_workers": 2}], indirect=True)
def test_local_cluster_listens_on_loopback_only_and_serves_no_dashboard(cluster: Client
                                                                        ) -> None:
    sockets = _listening(_run_pids(cluster))
    assert len(sockets) >= 3  # scheduler, its HTTP server, workers
    assert all(ipaddress.ip_address(ip).is_loopback for _, ip, _ in sockets), sockets
    port = cluster.run_on_scheduler(lambda dask_scheduler: dask_scheduler.http_server.port)
    assert _http_status(port, "/health") == 200
    assert _http_status(port, "/info/main/workers.html") == 404  # no task/log pages
    record("other users on the network (parallel=local)", "every socket on 127.0.0.1",
           "no dashboard unless parallel.dashboard=true")


@pytest.mark.parametrize("cluster", [{"env": "local", "n_workers": 1, "dashboard": True}],
                         indirect=True)
def test_dashboard_on_request_is_on_loopback(cluster: Client,
                                            caplog: pytest.LogCaptureFixture) -> None:
    port = cluster.run_on_scheduler(lambda dask_scheduler: dask_scheduler.http_server.port)
    assert _http_status(port, "/info/main/workers.html") == 200
    hint = " ".join(r.getMessage() for r in caplog.get_records("setup"))
    assert f"ssh -N -L 8787:127.0.0.1:{port}" in hint  # how to tunnel to it
    sockets = _listening(_run_pids(cluster))
    assert all(ipaddress.ip_address(ip).is_loopback for _, ip, _ in sockets), sockets


def _tree_listening(root: psutil.Process) -> set[tuple[int, str, int]]:
    found = set()
    try:
        tree = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return found
    for proc in tree:
        try:
            conns = proc.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found |= {(proc.pid, c.laddr.ip, c.laddr.port) for c in conns
                  if c.status == psutil.CONN_LISTEN}
    return found


def test_cli_run_on_parallel_local_listens_on_loopback_only(tmp_path: Path) -> None:
    proc = start_cli(f"output_dir={tmp_path}", "dataset.splits=[dev-clean-2]",
                     "runner.shard_size=4", "parallel=local", "parallel.n_workers=2")
    root, seen = psutil.Process(proc.pid), set()
    while proc.poll() is None:  # every listening socket of the run's process tree
        seen |= _tree_listening(root)
        time.sleep(0.05)
    _, stderr = proc.communicate()
    assert proc.returncode == 0, stderr
    assert len({pid for pid, _, _ in seen}) >= 2, seen  # the driver and a worker, seen
    assert all(ipaddress.ip_address(ip).is_loopback for _, ip, _ in seen), seen


def test_security_and_dashboard_values_are_checked() -> None:
    with pytest.raises(ConfigError, match="parallel.security='ssl'.*tls"):
        set_parallel({"env": "slurm", "security": "ssl"})
    with pytest.raises(ConfigError, match="parallel.security=tls.*parallel.env=submitit"):
        set_parallel({"env": "submitit_slurm", "security": "tls"})
    with pytest.raises(ConfigError, match="parallel.dashboard must be true or false"):
        set_parallel({"env": "local", "dashboard": "yes"})


# ----------------------------------------------------------------- the real SLURM, with TLS


def _network_interface() -> str:
    """An interface with a non-loopback IPv4 address, as a real cluster's scheduler uses."""
    for name, addrs in psutil.net_if_addrs().items():
        if any(a.family.name == "AF_INET" and not ipaddress.ip_address(a.address).is_loopback
               for a in addrs):
            return name
    pytest.skip("this machine has no non-loopback IPv4 interface")


def _refused(address: str, security: Security | None = None) -> bool:
    try:
        with Client(address, security=security, timeout="5s"):
            return False
    except (OSError, TimeoutError, ValueError, TypeError):
        return True


@pytest.fixture
def tls_on_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ESPNET3_PREP_INTERFACE", _network_interface())
    logs = tmp_path / "logs"
    set_parallel({"env": "slurm", "n_workers": 1, "name": f"e3p-tls-{uuid.uuid4().hex[:6]}",
                  "worker_timeout_s": 60, "options": {"log_directory": str(logs)}})
    try:
        yield logs
    finally:
        close_parallel()
        set_parallel(None)


@pytest.mark.slurm
def test_slurm_scheduler_on_the_network_refuses_clients_without_the_runs_certificate(
        tls_on_network: Path) -> None:
    out = ToyRunner(ToyProvider({"n": 12}), shard_size=4, progress=False)(range(12))
    assert [r["y"] for r in out] == expected(12)
    client = get_backend().client  # type: ignore[attr-defined]
    address = client.scheduler.address
    assert address.startswith("tls://") and "127.0.0.1" not in address
    exposed = [s for s in _listening(_run_pids(client))
               if not ipaddress.ip_address(s[1]).is_loopback]
    assert exposed  # the scheduler and the worker listen on the network...
    workers = client.scheduler_info()["workers"]
    comms = {urlparse(a).port for a in [address, *workers,
                                        *(w.get("nanny") for w in workers.values())] if a}
    assert {port for _, _, port in exposed} <= comms  # no HTTP server (dashboard) among them
    for _, ip, port in exposed:  # ...and none of them talks to a stranger
        assert _refused(f"tcp://{ip}:{port}"), f"plain TCP accepted on {ip}:{port}"
        assert _refused(f"tls://{ip}:{port}", Security.temporary()), f"{ip}:{port}"
    tls_dir = tls_on_network / "tls"
    assert stat.S_IMODE(tls_dir.stat().st_mode) == 0o700
    certs = list(tls_dir.iterdir())
    assert certs and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in certs)
    script = get_backend().cluster.job_script()  # type: ignore[attr-defined]
    assert "--tls-key" in script and "PRIVATE KEY" not in script
    record("another cluster user connects to the scheduler", "refused (TLS, run's own CA)",
           "run completes on the real SLURM")


@pytest.mark.slurm
def test_tls_run_over_the_network_is_byte_identical_to_in_process(
        tmp_path: Path, reference_bytes: dict[str, bytes]) -> None:
    out = tmp_path / "exp"
    env = cli_env(ESPNET3_PREP_INTERFACE=_network_interface())
    proc = run_cli(f"output_dir={out}", SHARD_SIZE, "parallel=slurm", "parallel.n_workers=2",
                   f"parallel.options.log_directory={tmp_path / 'logs'}", env=env)
    assert proc.returncode == 0, proc.stderr
    assert output_bytes(out) == reference_bytes
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.err"))
    assert "Registered to:      tls://" in logs and "tcp://" not in logs
