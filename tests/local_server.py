"""A Jupyter server (JupyterLab or the plain server) on localhost for a test, and a browser logged into it.

    with running_server(["jupyter", "lab", ...], cwd=folder, env=env, log_path=path) as (url, token):
        with logged_in_browser(url, token, chromium) as (context, page):
            ...

The command gets the options every test needs (localhost, the port, the token, no browser); the server is
stopped with its kernels when the block ends. The browser is the system's Chromium, driven by Playwright.
"""
import os
import secrets
import signal
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
def running_server(command, cwd, env, log_path, start_seconds=180):
    """Start `command` (a jupyter lab/server command line, or a command that runs one, such as the student
    package's `python3 tasks.py lab`) and wait until it answers; yields (url, token). The whole process group
    is stopped after, so a server started by a wrapper stops too."""
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
        os.killpg(server.pid, signal.SIGTERM)  # the server and a wrapper; Jupyter shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def logged_in_browser(url, token, chromium, lands_on="**/lab**"):
    """Headless Chromium (the executable at `chromium`) logged into the server at url with its token; yields
    (browser context, the page that logged in, now at `lands_on`)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto(f"{url}/login")
        page.fill("input[type=password]", token)
        page.keyboard.press("Enter")
        page.wait_for_url(lands_on)
        try:
            yield context, page
        finally:
            browser.close()
