"""The kernel manager and client without jupyter_client's fixed waits (scripts/kernelwait.py)."""

from __future__ import annotations

import time
from queue import Empty

import pytest
from jupyter_core.utils import run_sync

from scripts import execute, kernelwait


class FakeChannel:
    """A channel whose get_msg hands out queued messages, then raises Empty (a timeout)."""

    def __init__(self) -> None:
        self.queue: list[dict] = []

    def get_msg(self, timeout=None) -> dict:
        if not self.queue:
            raise Empty
        return self.queue.pop(0)


def message(msg_type: str, parent: str, **content) -> dict:
    return {"msg_type": msg_type, "parent_header": {"msg_id": parent}, "content": content}


class FakeKernel(kernelwait._ReadyOnAnswer):
    """A kernel that answers each kernel_info request as `answers` says: the reply on the
    shell channel, and the IOPub messages this client receives for it (its subscription may
    not be live yet)."""

    def __init__(self, answers: list[list[str]]) -> None:
        self.shell_channel, self.iopub_channel = FakeChannel(), FakeChannel()
        self.answers = answers
        self.asked: list[str] = []
        self.handled: list[dict] = []

    def kernel_info(self) -> str:
        msg_id = f"ask-{len(self.asked)}"
        self.asked.append(msg_id)
        said = self.answers.pop(0) if self.answers else []
        if "reply" in said:
            self.shell_channel.queue.append(message("kernel_info_reply", msg_id))
        for state in ("busy", "idle"):
            if state in said:
                self.iopub_channel.queue.append(message("status", msg_id, execution_state=state))
        return msg_id

    async def _async_is_alive(self) -> bool:
        return True

    def _handle_kernel_info_reply(self, reply: dict) -> None:
        self.handled.append(reply)


def test_ready_waits_for_the_idle_over_iopub_and_asks_again_when_it_never_came():
    # The first answer's busy and idle went out before this client's IOPub subscription
    # reached the kernel: only the reply came. Ready then would let a first cell's output
    # be lost too; the client asks again and is ready on the second answer.
    kernel = FakeKernel([["reply"], ["reply", "busy", "idle"]])
    run_sync(kernel._wait_until_answered)(timeout=5)
    assert kernel.asked == ["ask-0", "ask-1"]
    assert [reply["parent_header"]["msg_id"] for reply in kernel.handled] == ["ask-1"]
    assert kernel.iopub_channel.queue == []  # everything the kernel said before was read


def test_ready_is_the_first_answer_when_its_idle_came():
    kernel = FakeKernel([["reply", "busy", "idle"]])
    run_sync(kernel._wait_until_answered)(timeout=5)
    assert kernel.asked == ["ask-0"]


def test_ready_gives_up_after_its_timeout_when_the_kernel_never_answers(monkeypatch):
    monkeypatch.setattr(kernelwait, "REPLY_WAIT", 0.01)
    kernel = FakeKernel([])
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="didn't respond"):
        run_sync(kernel._wait_until_answered)(timeout=0.05)
    assert time.monotonic() - started < 5
    assert len(kernel.asked) >= 2  # it kept asking while it waited


@pytest.fixture
def kernel_manager(tmp_path):
    kernel = execute._new_kernel(tmp_path)
    yield kernel
    execute._discard(kernel)


def test_a_prompt_client_is_ready_with_iopub_live_and_sees_the_first_output(kernel_manager):
    km = kernel_manager.km
    run_sync(km.start_kernel)(cwd=str(kernel_manager.run_dir))
    client = km.client()
    assert isinstance(client, kernelwait.PromptKernelClient)
    client.start_channels()
    said: list[dict] = []
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        reply = run_sync(client.execute_interactive)(
            "print('first words')", timeout=60, output_hook=lambda msg: said.append(msg)
        )
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok"
    assert [msg["content"]["text"] for msg in said if msg["msg_type"] == "stream"] == [
        "first words\n"
    ]


def test_an_immediate_shutdown_reaps_the_kernel_and_kills_what_it_started(kernel_manager):
    # The kernel dies at once and is reaped; a process it started, in its process group,
    # dies with it as jupyter_client's own kill made it.
    km = kernel_manager.km
    run_sync(km.start_kernel)(cwd=str(kernel_manager.run_dir))
    process = km.provisioner.process
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        code = "import subprocess; child = subprocess.Popen(['sleep', '60']); print(child.pid)"
        outputs = []
        run_sync(client.execute_interactive)(
            code, timeout=60, output_hook=lambda msg: outputs.append(msg["content"])
        )
    finally:
        client.stop_channels()
    child = int(next(out["text"] for out in outputs if "text" in out))
    run_sync(km.shutdown_kernel)(now=True)
    assert process.returncode is not None  # reaped, not a zombie left to poll
    for _ in range(100):  # the group's SIGKILL is sent; give the child its moment to go
        if not _running(child):
            break
        time.sleep(0.05)
    assert not _running(child)


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_spare_kernel_is_sent_its_imports_only_once_it_has_answered(tmp_path, monkeypatch):
    # On a busy machine the imports used to run before the spare's IOPub subscription
    # reached the kernel: their output and idle never came, and the spare went unused.
    order: list[str] = []
    ready, execute_imports = (
        kernelwait.PromptBlockingClient.wait_for_ready,
        kernelwait.PromptBlockingClient.execute,
    )

    def record_ready(client, *args, **kwargs):
        order.append("ready")
        return ready(client, *args, **kwargs)

    def record_execute(client, *args, **kwargs):
        order.append("execute")
        return execute_imports(client, *args, **kwargs)

    monkeypatch.setattr(kernelwait.PromptBlockingClient, "wait_for_ready", record_ready)
    monkeypatch.setattr(kernelwait.PromptBlockingClient, "execute", record_execute)
    monkeypatch.setattr(execute, "_noisy_imports", set())
    execute.start_spare_kernels(tmp_path, 1, ("tabnanny",))
    try:
        (spare,) = execute._spares
        assert order == ["ready", "execute"]
        assert execute._warmed_quietly(spare)
    finally:
        execute.stop_spare_kernels()
