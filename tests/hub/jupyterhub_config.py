"""A JupyterHub for a class, on one machine, for the hub tests (``tests/hub/``): ``jupyterhub -f`` this file.

The settings a real class needs are the ones in docs/instructor.md (the course on ``PYTHONPATH`` from the pulled
folder, one CPU thread per learner); the rest makes it a throw-away hub: dummy passwords, one local process
per learner with its own home directory, everything on 127.0.0.1. The test sets the ``FTLAB_HUB_*`` variables.

Never use this for real learners: ``SimpleLocalProcessSpawner`` runs every server as the same system user.
"""

import os
import sys

env = os.environ
c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = int(env["FTLAB_HUB_PORT"])
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(env["FTLAB_HUB_API_PORT"])
c.JupyterHub.db_url = "sqlite:///" + os.path.join(env["FTLAB_HUB_DIR"], "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = os.path.join(env["FTLAB_HUB_DIR"], "jupyterhub_cookie_secret")

# configurable-http-proxy from npm (package.json; `make test` runs `npm ci`)
c.ConfigurableHTTPProxy.command = [env["FTLAB_HUB_PROXY"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env['FTLAB_HUB_PROXY_API_PORT']}"
c.ConfigurableHTTPProxy.pid_file = os.path.join(env["FTLAB_HUB_DIR"], "proxy.pid")

# Learners log in with any name the instructor added and the class password.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = env["FTLAB_HUB_PASSWORD"]
c.Authenticator.allow_existing_users = True  # the class list: users the instructor added through the API

# The instructor: a service whose token creates users and watches their servers.
c.JupyterHub.services = [{"name": "instructor", "api_token": env["FTLAB_HUB_ADMIN_TOKEN"]}]
c.JupyterHub.load_roles = [
    {"name": "instructor", "scopes": ["admin:users", "admin:servers"], "services": ["instructor"]},
]

# One local process per learner, each with its own home directory (its working directory and $HOME).
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(env["FTLAB_HUB_DIR"], "home", "{username}")
c.Spawner.cmd = [sys.executable, "-m", "jupyterhub.singleuser"]
if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root; Jupyter refuses that unless told
    c.Spawner.args = ["--allow-root"]
c.Spawner.environment = {
    # the course's package comes from the learner's own pulled folder (docs/instructor.md, step 2)
    "PYTHONPATH": lambda spawner: os.path.join(spawner.home_dir, env["FTLAB_HUB_TARGET"]),
    # one CPU per learner: PyTorch would otherwise start one thread per core of the whole machine
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    # ImageNet weights from one shared cache, as a class image would have them (docs/instructor.md)
    "TORCH_HOME": env["FTLAB_HUB_TORCH_HOME"],
}
# A busy machine starts servers slowly: wait, never give up early.
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
