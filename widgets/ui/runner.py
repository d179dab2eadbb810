"""Run a training job in a background thread, with Start and Stop buttons, a progress bar and a status line.

A long loop in a notebook cell blocks every widget until it ends; a thread keeps the kernel responsive, so the
plots update live and the Stop button works. ``run_sync`` runs the same job in the calling thread, for lesson
cells executed top to bottom without clicks.

    runner = BackgroundRunner(job, on_done=show)      # job(progress, stop_event) -> result
    runner.start()                                    # or: runner.run_sync()

``close()`` stops the job and waits for it, so whatever the job restores in its ``finally`` is restored (one
widget at a time holds a model: :mod:`widgets.ui.ownership`).

A job started by pressing Start moves the keyboard focus to Stop (Start is disabled while it runs, and a disabled
button drops the focus to the page), and back to Start when it ends; so does pressing Stop. A job started from
code moves no focus: a lesson run top to bottom keeps the learner's place in the notebook.
"""

import threading
import traceback

import ipywidgets as ipw

from ..kit.measure import release_memory
from .messages import ERROR, INFO, WARNING, friendly, message_html


class BackgroundRunner(ipw.HBox):
    """Start/Stop buttons, a progress bar and a status line around ``job(progress, stop_event)``.

    ``progress(fraction, text="")`` updates the bar; the job should end soon after ``stop_event`` is set.
    ``on_done(result)`` runs after a successful job (in the job's thread) and may return the status message;
    errors are shown in the status line, never raised into the notebook. A second Start while a job runs is
    refused, with a message. ``on_start()`` runs before each job (clear stale results there).
    """

    def __init__(self, job, on_done=None, start_label="Train", start_icon="play", on_start=None):
        self.job = job
        self.on_done = on_done
        self.on_start = on_start
        self.start_button = ipw.Button(description=start_label, icon=start_icon, button_style="primary")
        self.stop_button = ipw.Button(description="Stop", icon="stop", disabled=True)
        self.bar = ipw.FloatProgress(value=0, min=0, max=1, layout=ipw.Layout(width="200px"))
        self.status = ipw.HTML("")
        self.start_button.on_click(lambda _: self.start(pressed=True))
        self.stop_button.on_click(lambda _: self.stop(pressed=True))
        self._thread = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._pressed = False  # this job was started by pressing Start: the focus comes back to it
        self.result = None
        self.error = None
        self.traceback = ""
        super().__init__([self.start_button, self.stop_button, self.bar, self.status])

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive()

    @property
    def stop_event(self):
        return self._stop

    def say(self, text, colour=INFO):
        self.status.value = message_html(text, colour)

    def progress(self, fraction, text=""):
        self.bar.value = max(0.0, min(1.0, float(fraction)))
        if text:
            self.say(text)

    def _run(self, job):
        self.result, self.error = None, None
        try:
            # the pages earlier cells freed go back first: the run's peak then adds to what is in use, not to that
            release_memory()
            result = job(self.progress, self._stop)
            self.result = result
            message = self.on_done(result) if self.on_done is not None else None
            if not self._stop.is_set():
                self.bar.value = 1.0
            self.say(message or ("Stopped." if self._stop.is_set() else "Done."))
        except Exception as error:  # shown in the widget: a learner never sees a traceback
            self.error = error
            self.traceback = traceback.format_exc()
            self.say(friendly(error), colour=ERROR)
        finally:
            release_memory()  # and the run's own, once it is over
            self.start_button.disabled = False
            self.stop_button.disabled = True
            if self._pressed:
                self.start_button.focus()

    def _begin(self, pressed=False):
        with self._lock:
            if self.running:
                self.say("Already running: wait for it to finish or press Stop first.", colour=WARNING)
                return False
            self._stop.clear()
            self.bar.value = 0
            self.start_button.disabled = True
            self.stop_button.disabled = False
            self._pressed = pressed
            if pressed:
                self.stop_button.focus()
            self.say("Running...")
        if self.on_start is not None:
            self.on_start()
        return True

    def start(self, job=None, pressed=False):
        """Start the job (or ``job``, this once) in a background thread; returns False (and says so) if one is
        already running. ``pressed``: Start was pressed, so the keyboard focus follows (to Stop, then back)."""
        if not self._begin(pressed):
            return False
        self._thread = threading.Thread(target=self._run, args=(job or self.job,), daemon=True)
        self._thread.start()
        return True

    def run_sync(self, job=None):
        """Run the job (or ``job``) here and now, no thread, and return its result; errors are shown, not raised."""
        if not self._begin():
            return None
        self._thread = None
        self._run(job or self.job)
        return self.result

    def stop(self, pressed=False):
        """Ask the running job to stop after its current step (``pressed``: Stop was pressed, so the focus goes to
        Start when the job ends: Stop is disabled then)."""
        if self.running:
            self._pressed = self._pressed or pressed
            self._stop.set()
            self.say("Stopping...")

    def wait(self, timeout=None):
        """Block until the background job ends (tests and scripts)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.result

    def close(self):
        """Stop the job, wait until it has ended (and restored what it restores), then close the widget."""
        self._stop.set()
        self.wait()
        super().close()


class RunsItsJob:
    """For a widget whose job runs through ``self.runner`` (a :class:`BackgroundRunner`) and leaves ``self.result``:
    run the job here or in the background, and stop it when the widget closes. Put it before the ipywidgets base:
    ``class TwoStartsLab(RunsItsJob, ipw.VBox)``."""

    def run(self, wait=True):
        """Run the job: here and now (``wait=True``, returns ``self.result``, None after an error) or in the
        background."""
        if wait:
            self.runner.run_sync()
            return self.result if self.runner.error is None else None
        self.runner.start()
        return None

    def close(self):
        """Stop a running job and wait for it, then close the widget."""
        runner = getattr(self, "runner", None)
        if runner is not None:
            runner.close()
        super().close()
