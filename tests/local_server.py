"""A Jupyter server (JupyterLab or the plain server) on localhost for a test: a free port, a token, its log.

    with running_server(["jupyter", "lab", ...], cwd=folder, env=env, log_path=path) as (url, token):
        ...

The command gets the options every test needs (localhost, the port, the token, no browser); the server is
stopped with its kernels when the block ends.
"""
import secrets
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_server(command, cwd, env, log_path, start_seconds=120):
    """Start `command` (a jupyter lab/server command line) and wait until it answers; yields (url, token)."""
    port, token = free_port(), secrets.token_hex(16)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [*command, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
             "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}"],
            cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_seconds
        while True:
            assert server.poll() is None, f"the Jupyter server stopped:\n{log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the Jupyter server did not start:\n{log_path.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()  # Jupyter shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
