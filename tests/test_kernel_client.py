"""preprocessors.PromptKernelClient: a kernel is ready when its kernel_info request has closed on IOPub, and
nothing the kernel said while starting reaches a cell."""
import queue

import nbformat
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

from autograder.preprocessors import PromptKernelClient

START_UP = "said while the kernel started"


def kernel_manager(client=PromptKernelClient):
    km = AsyncKernelManager(kernel_name="python3")
    km.client_factory = client
    return km


class Recorded(PromptKernelClient):
    readied = 0

    async def wait_for_ready(self, timeout=None):
        await super().wait_for_ready(timeout)
        Recorded.readied += 1


def test_a_kernel_that_talks_while_starting_gives_each_cell_only_its_own_output():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('first cell')"),
                                         nbformat.v4.new_code_cell("1 + 1")])
    km = kernel_manager(Recorded)
    client = NotebookClient(nb, km=km, kernel_name="python3",
                            extra_arguments=[f"--IPKernelApp.exec_lines=print({START_UP!r})"])
    client.execute(cleanup_kc=True)  # the kernel manager is ours, so nbclient would leave kernel and client running
    assert Recorded.readied == 1  # nbclient waited on this client, not jupyter_client's
    first, second = nb.cells
    assert [output.get("text") for output in first.outputs] == ["first cell\n"]
    assert second.outputs[0]["data"]["text/plain"] == "2"
    assert START_UP not in str(nb)
    assert client.kc is None and not run_sync(km.is_alive)()


class LateIOPub(PromptKernelClient):
    """IOPub joined late: the first request's closing status is missed, as ZMQ drops what a subscriber missed."""
    requests = 0

    async def _iopub_idle_after(self, request):
        LateIOPub.requests += 1
        if LateIOPub.requests == 1:
            while True:  # whatever came is lost
                try:
                    await self.iopub_channel.get_msg(timeout=0.3)
                except queue.Empty:
                    return False
        return await super()._iopub_idle_after(request)


@pytest.fixture
def started():
    """Yields start(client_class): it starts a kernel with an AsyncKernelManager and returns (manager, its
    client with channels started). Both are stopped afterwards, so no socket is left for the garbage collector
    to warn about in a later test."""
    started = []

    def start(client):
        km = kernel_manager(client)
        run_sync(km.start_kernel)()
        kc = km.client()
        kc.start_channels()
        started.append((km, kc))
        return km, kc

    yield start
    for km, kc in started:
        kc.stop_channels()
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)


def test_a_client_whose_iopub_missed_the_first_status_asks_again_and_is_ready(started):
    km, kc = started(LateIOPub)
    run_sync(kc.wait_for_ready)(timeout=60)
    assert LateIOPub.requests == 2
    reply = run_sync(kc.execute_interactive)("x = 6 * 7", timeout=30)
    assert reply["content"]["status"] == "ok"


def test_a_kernel_that_dies_before_it_is_ready_is_an_error_in_words(started):
    km, kc = started(PromptKernelClient)
    run_sync(km.shutdown_kernel)(now=True)
    with pytest.raises(RuntimeError, match="died before replying"):
        run_sync(kc.wait_for_ready)(timeout=60)
