"""A pausable countdown with an injectable clock, and a ticker that refreshes a view without blocking.

The countdown itself never sleeps: it computes what is left from the clock, so a test can expire it by
moving a fake clock. The :class:`Ticker` is only for the display: in a kernel it runs as an asyncio task on
the running event loop (widget clicks are handled on that loop), so the kernel stays free.
"""

import asyncio
import math
import threading
import time


class Countdown:
    """``duration`` seconds that run only between :meth:`start`/:meth:`resume` and :meth:`pause`."""

    def __init__(self, duration=120, clock=time.monotonic):
        if duration <= 0:
            raise ValueError("a countdown needs a positive duration in seconds")
        self.duration = float(duration)
        self.clock = clock
        self._used = 0.0  # seconds used before the current run
        self._since = None  # clock reading when the current run started; None while stopped

    @property
    def running(self):
        return self._since is not None and not self.expired

    @property
    def started(self):
        return self._since is not None or self._used > 0

    @property
    def paused(self):
        return self.started and self._since is None and not self.expired

    @property
    def elapsed(self):
        extra = self.clock() - self._since if self._since is not None else 0.0
        return min(self.duration, self._used + extra)

    @property
    def remaining(self):
        return self.duration - self.elapsed

    @property
    def expired(self):
        return self.elapsed >= self.duration

    def start(self):
        if self._since is None and not self.expired:
            self._since = self.clock()

    resume = start

    def pause(self):
        if self._since is not None:
            self._used = self.elapsed
            self._since = None

    def stop(self):
        """Freeze the time left (the problem is finished)."""
        self.pause()

    def restore(self, used, running=False):
        """Go on from a saved state: ``used`` seconds gone, and running from now when ``running``."""
        self._used = min(self.duration, max(0.0, float(used)))
        self._since = self.clock() if running and self._used < self.duration else None

    def penalize(self, seconds):
        """Take ``seconds`` off the time left (a hint's price); may expire the countdown."""
        self._used = min(self.duration, self._used + float(seconds))

    def __str__(self):
        left = max(0, math.ceil(self.remaining - 1e-9))  # 2:00 shows until a full second has gone
        return f"{left // 60}:{left % 60:02d}"


class Ticker:
    """Call ``callback()`` every ``interval`` seconds until it returns False or :meth:`stop` is called.

    ``mode``: ``"auto"`` (asyncio task when an event loop is running, as in a kernel handling a click; else a
    daemon thread), ``"asyncio"``, ``"thread"`` or ``None`` (never ticks; tests refresh by hand).
    """

    def __init__(self, callback, interval=1.0, mode="auto"):
        self.callback = callback
        self.interval = interval
        self.mode = mode
        self._task = None
        self._thread = None
        self._stop = threading.Event()

    @property
    def active(self):
        return (self._task is not None and not self._task.done()) or (
            self._thread is not None and self._thread.is_alive()
        )

    def start(self):
        if self.mode is None or self.active:
            return
        self._stop.clear()
        mode = self.mode
        if mode in ("auto", "asyncio"):
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._task = loop.create_task(self._run_async())
                return
            if mode == "asyncio":
                return  # asked for asyncio only and there is no loop: nothing ticks
        self._thread = threading.Thread(target=self._run_thread, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            self._task = None

    def _tick(self):
        try:
            return self.callback() is not False
        except Exception:  # a display refresh must never kill the kernel's loop
            return False

    async def _run_async(self):
        while not self._stop.is_set():
            await asyncio.sleep(self.interval)
            if self._stop.is_set() or not self._tick():
                break

    def _run_thread(self):
        while not self._stop.wait(self.interval):
            if not self._tick():
                break
