"""jupyter_client's kernel manager and client, without the two fixed waits in every run.

A tiny lesson's run took 0.75 s, of which the kernel was busy 0.44 s. The rest was two waits
that depend on no event:
- `wait_for_ready` ends by reading IOPub until 0.2 s pass in silence, to drop what the
  kernel said while starting;
- `shutdown_kernel(now=True)` kills the kernel, then polls every 0.1 s until it has died,
  and the first poll comes too soon.
With these two classes the same run takes 0.49 s. Every lesson runs in a kernel of its own
(twice with exercises' checks), and the build's workers wait on it, so this is time a core
idles in every run.
"""

from __future__ import annotations

import math
import time
import uuid
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from jupyter_core.utils import ensure_async, run_sync
from traitlets import DottedObjectName, Type

from . import kernelfork

# Seconds for the reply to a kernel_info request before asking again, as jupyter_client does.
REPLY_WAIT = 1.0
# Seconds for the next IOPub message once the reply is in. The kernel says busy and idle
# within milliseconds of replying; only an IOPub connection made after it did stays silent
# (its socket retries every 0.1 s while the kernel starts), and then a new request is answered
# on a live connection.
IOPUB_WAIT = 0.1


class _ReadyOnAnswer:
    """The kernel client's readiness check, for the asynchronous and the blocking client."""

    async def _wait_until_answered(self, timeout: float | None = None) -> None:
        """Return once the kernel has replied to a kernel_info request on the shell channel
        and said idle after one over IOPub. Then the IOPub subscription is live (a first
        cell's output cannot be lost) and what the kernel said before is read: what
        jupyter_client's closing 0.2 s of silence on IOPub stood for, as an event."""
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        asked: set[str] = set()
        while True:
            asked.add(self.kernel_info())
            try:
                reply = await self._reply_to(asked)
                await self._idle_after(asked)
            except Empty:
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info") from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout} seconds") from None
                continue
            self._handle_kernel_info_reply(reply)  # as jupyter_client's own check does
            return

    async def _reply_to(self, asked: set[str]) -> dict:
        while True:
            reply = await ensure_async(self.shell_channel.get_msg(timeout=REPLY_WAIT))
            if reply["parent_header"].get("msg_id") in asked:
                return reply

    async def _idle_after(self, asked: set[str]) -> None:
        while True:
            message = await ensure_async(self.iopub_channel.get_msg(timeout=IOPUB_WAIT))
            if (
                message["msg_type"] == "status"
                and message["parent_header"].get("msg_id") in asked
                and message["content"].get("execution_state") == "idle"
            ):
                return


class PromptKernelClient(_ReadyOnAnswer, AsyncKernelClient):
    """nbclient's client for each run."""

    wait_for_ready = _ReadyOnAnswer._wait_until_answered


class PromptBlockingClient(_ReadyOnAnswer, BlockingKernelClient):
    """A spare kernel's client (scripts/execute.py): after `wait_for_ready`, what the kernel
    says over IOPub is sure to arrive, the output of imports sent ahead included."""

    wait_for_ready = run_sync(_ReadyOnAnswer._wait_until_answered)


class ForkingProvisioner(LocalProvisioner):
    """jupyter_client's own provisioner, except that a kernel is forked by the build's kernel
    starter (scripts/kernelfork.py) when one runs, instead of started as a new program."""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        env, cwd = kwargs.get("env") or {}, kwargs.get("cwd") or "."
        forked = kernelfork.launch(cmd, env, cwd, getattr(self.parent, "preload", ()))
        if forked is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = forked
        self.pid = self.pgid = forked.pid  # a session of its own, as Popen would give it
        self.cwd = kwargs.get("cwd")
        return self.connection_info


class PromptKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose clients are PromptKernelClients, whose kernels are forked
    by the build's kernel starter when there is one, and whose immediate shutdown kills the
    kernel and reaps it at once instead of polling for its death."""

    client_class = DottedObjectName("scripts.kernelwait.PromptKernelClient")
    client_factory = Type(PromptKernelClient, klass=AsyncKernelClient)

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:  # as jupyter_client makes its default one, but ours
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            self.provisioner = ForkingProvisioner(
                kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self
            )
        return await super()._async_pre_start_kernel(**kw)

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        if now and not restart:  # reaped first: the manager finds nothing left to poll for
            kill_and_reap(getattr(self.provisioner, "process", None))
        await super().shutdown_kernel(now=now, restart=restart)


def kill_and_reap(process) -> None:
    """Stop a kernel's process for sure and at once (a cell that timed out may still be
    spinning in it); None or a process that has ended is left as it is."""
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=10)
