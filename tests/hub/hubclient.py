"""What a learner's browser does on a JupyterHub, done over HTTP: log in, start a server, follow an nbgitpuller
link, open a notebook's kernel and run code in it. Also the process and file checks the hub tests need.

Every wait polls with a deadline (a busy machine is slow, never wrong); nothing sleeps a fixed time.
"""

import contextlib
import html.parser
import json
import os
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import psutil
import requests
import websocket
from jupyter_client.jsonutil import json_default
from jupyter_client.session import Session

MB = 2**20
TARGET = "fine-tuning-lab"  # the pulled folder's name, as in the guide's nbgitpuller link
BRANCH = "main"
class_report = []  # lines the hub tests fill and conftest.py prints at the end of the run


def git(*args, cwd=None):
    """Run git with a fixed identity (CI machines have none configured); its output."""
    env = dict(os.environ, GIT_AUTHOR_NAME="Instructor", GIT_AUTHOR_EMAIL="instructor@example.org",
               GIT_COMMITTER_NAME="Instructor", GIT_COMMITTER_EMAIL="instructor@example.org")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()


def wait_until(check, timeout, what, interval=0.5):
    """Poll ``check()`` until it returns something truthy; that value, or AssertionError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


class _BodyData(html.parser.HTMLParser):
    """The ``data-*`` attributes of a page's <body>: nbgitpuller's page passes its settings to its script there."""

    def __init__(self):
        super().__init__()
        self.data = {}

    def handle_starttag(self, tag, attrs):
        if tag == "body":
            self.data = {k[5:]: urllib.parse.unquote(v or "") for k, v in attrs if k.startswith("data-")}


class _FormField(html.parser.HTMLParser):
    """The value of one named <input> of a page's form."""

    def __init__(self, name):
        super().__init__()
        self.name, self.value = name, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == self.name:
            self.value = attrs.get("value")


def server_events(response):
    """The JSON events of a text/event-stream response (``data: {...}`` lines), as they arrive."""
    for line in response.iter_lines(decode_unicode=True):
        if line and line.startswith("data:"):
            yield json.loads(line[5:])


class Learner:
    """One learner, talking to the hub and to their own server as JupyterLab would."""

    def __init__(self, hub_url, name, password):
        self.hub_url, self.name, self.password = hub_url.rstrip("/"), name, password
        self.http = requests.Session()
        self.token = None
        self.timings = {}

    def _mark(self, what, start):
        self.timings[what] = time.monotonic() - start

    @property
    def server_url(self):
        return f"{self.hub_url}/user/{self.name}/"

    def login(self):
        """Log in twice with the class password, as a learner's tools do: through the hub's REST API (the
        Authenticator checks the password and returns an API token, which every API call here then uses) and
        through the login form (the cookie a browser carries when it follows a link to a hub page)."""
        start = time.monotonic()
        reply = self.http.post(f"{self.hub_url}/hub/api/users/{self.name}/tokens", timeout=120,
                               json={"auth": {"username": self.name, "password": self.password},
                                     "note": "hub test login"})
        assert reply.status_code == 201, (reply.status_code, reply.text)
        self.token = reply.json()["token"]
        self.http.headers["Authorization"] = f"token {self.token}"
        form = self.http.get(f"{self.hub_url}/hub/login", timeout=120)
        xsrf = _FormField("_xsrf")
        xsrf.feed(form.text)
        reply = self.http.post(f"{self.hub_url}/hub/login", timeout=120, allow_redirects=False,
                               data={"username": self.name, "password": self.password, "_xsrf": xsrf.value})
        assert reply.status_code == 302, (reply.status_code, reply.text[:500])
        self._mark("login", start)

    def start_server(self, timeout):
        start = time.monotonic()
        reply = self.http.post(f"{self.hub_url}/hub/api/users/{self.name}/server", timeout=120)
        assert reply.status_code in (201, 202), (reply.status_code, reply.text)

        def ready():
            model = self.http.get(f"{self.hub_url}/hub/api/users/{self.name}", timeout=60).json()
            server = model.get("servers", {}).get("")
            return server and server.get("ready")

        wait_until(ready, timeout, f"{self.name}'s server to be ready", interval=1)
        self._mark("server", start)

    def follow_link(self, link, timeout):
        """Open an nbgitpuller link and do what its page's script does: stream the pull, then go to ``urlpath``.

        Returns ``(events, page)``: the pull's events and the response of the page it sends the learner to.
        """
        start = time.monotonic()
        page = self.http.get(link, timeout=120)  # the hub redirects to the learner's own server
        assert page.status_code == 200, (page.status_code, page.url, page.text[:500])
        assert page.url.startswith(self.server_url + "git-pull?"), page.url
        parser = _BodyData()
        parser.feed(page.text)
        data = parser.data
        query = {"_xsrf": data["xsrf"], "repo": data["repo"], "targetpath": data["targetpath"]}
        if data.get("branch"):
            query["branch"] = data["branch"]
        stream_url = urllib.parse.urljoin(self.server_url, data["base-url"]) + "git-pull/api?" \
            + urllib.parse.urlencode(query)
        events = []
        with self.http.get(stream_url, stream=True, timeout=timeout) as stream:
            assert stream.status_code == 200, (stream.status_code, stream.text[:500])
            for event in server_events(stream):
                events.append(event)
                if event["phase"] in ("finished", "error"):
                    break
        assert events and events[-1]["phase"] == "finished", events[-3:]
        lesson_page = self.http.get(urllib.parse.urljoin(self.server_url, data["base-url"]) + data["path"],
                                    timeout=120)
        self._mark("pull_again" if "pull" in self.timings else "pull", start)
        return events, lesson_page

    def api(self, method, path, **kwargs):
        """A call to the learner's own Jupyter server's REST API (``path`` below ``api/``)."""
        reply = self.http.request(method, self.server_url + "api/" + path, timeout=120, **kwargs)
        reply.raise_for_status()
        return reply.json() if reply.content else None

    def read_notebook(self, path):
        return self.api("GET", f"contents/{urllib.parse.quote(path)}")["content"]

    def save_notebook(self, path, content):
        self.api("PUT", f"contents/{urllib.parse.quote(path)}", json={"type": "notebook", "content": content})

    def open_notebook(self, path, timeout):
        """Open ``path`` as JupyterLab does (a session: its kernel runs in the notebook's folder)."""
        start = time.monotonic()
        session = self.api("POST", "sessions", json={"path": path, "type": "notebook", "name": "",
                                                     "kernel": {"name": "python3"}})
        kernel = RemoteKernel(self, session["kernel"]["id"], session["id"])
        kernel.connect(timeout)
        kernel.close()
        self._mark("kernel", start)
        return kernel


class RemoteKernel:
    """A kernel on a learner's server, driven over its websocket (the JSON protocol JupyterLab also speaks)."""

    def __init__(self, learner, kernel_id, session_id):
        self.learner, self.id, self.session_id = learner, kernel_id, session_id
        self.session = Session(username=learner.name)
        self.ws = None

    def connect(self, timeout):
        """Open the kernel's websocket and wait for the kernel to answer. While it is open, read it: the server
        pings it and closes a connection that does not answer, so ``close()`` it when done for a while."""
        url = (self.learner.server_url.replace("http", "ws", 1)
               + f"api/kernels/{self.id}/channels?session_id={uuid.uuid4().hex}")
        self.ws = websocket.create_connection(url, header=[f"Authorization: token {self.learner.token}"],
                                              timeout=timeout)
        self.execute("1 + 1", timeout)  # answers only once the kernel is up

    def close(self):
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.close()
        self.ws = None

    def execute(self, code, timeout):
        """Run ``code``; returns its printed output. Raises AssertionError with the traceback if it fails."""
        msg = self.session.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                                   "user_expressions": {}, "allow_stdin": False,
                                                   "stop_on_error": True})
        msg["channel"] = "shell"
        self.ws.send(json.dumps(msg, default=json_default))
        msg_id, out, errors, replied, idle = msg["header"]["msg_id"], [], [], None, False
        deadline = time.monotonic() + timeout
        self.ws.settimeout(5)
        while replied is None or not idle:
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer from {self.learner.name}'s kernel within {timeout} s "
                                     f"to:\n{code[:300]}")
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            if not isinstance(raw, str) or not raw:  # binary frames carry widget buffers; empty ones are pings
                continue
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                out.append(content["text"])
            elif kind == "error":
                errors.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = content
        if errors or replied["status"] != "ok":
            raise AssertionError(f"{self.learner.name}'s kernel failed on:\n{code[:500]}\n\n" + "\n".join(errors))
        return "".join(out)

    def shutdown(self):
        self.close()
        self.learner.api("DELETE", f"sessions/{self.session_id}")


# --------------------------------------------------------------------------------------------- processes


def high_water_mark(process):
    """Peak resident memory of a process in bytes (Linux ``VmHWM``; elsewhere the RSS now)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return process.memory_info().rss


def learner_processes(hub_process, name):
    """The learner's single-user server (the hub's child whose ``JUPYTERHUB_USER`` is ``name``) and its kernels."""
    for process in psutil.Process(hub_process.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if process.environ().get("JUPYTERHUB_USER") == name and "singleuser" in " ".join(process.cmdline()):
                return process, process.children(recursive=True)
    raise AssertionError(f"no single-user server process for {name}")


def kernel_process(hub_process, name, kernel_id):
    server, children = learner_processes(hub_process, name)
    for process in children:
        with contextlib.suppress(psutil.Error):
            if any(f"kernel-{kernel_id}.json" in part for part in process.cmdline()):
                return server, process
    raise AssertionError(f"no process for {name}'s kernel {kernel_id}")


# --------------------------------------------------------------------------------------------- files


def snapshot(folder):
    """Every file and folder below ``folder``: path -> (size, modification time), or None for a folder."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            found[os.path.relpath(os.path.join(root, name), folder)] = None
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(FileNotFoundError):  # a lock file that was just removed
                stat = os.stat(path)
                found[os.path.relpath(path, folder)] = (stat.st_size, stat.st_mtime_ns)
    return found


def changes(before, after):
    """Paths added, removed or modified between two snapshots."""
    return sorted(p for p in set(before) | set(after) if before.get(p, "gone") != after.get(p, "gone"))
