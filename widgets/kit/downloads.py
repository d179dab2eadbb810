"""Downloading a weights file: PyTorch's own downloader and checksum, a timeout, and plain words when it fails.

``torch.hub.download_url_to_file`` writes to a temporary ``.partial`` file, checks the SHA-256 prefix that
torchvision puts in its file names (``resnet18-f37072fd.pth``), and only then moves the file into place, so a
broken download never lands in the cache. A host that did not answer once is not asked again in this process:
offline, every lesson stays fast.
"""

import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request

import torch

HASH_IN_NAME = re.compile(r"-([a-f0-9]+)\.")  # torchvision's files end in -<first hex digits of sha256>.pth
unreachable_hosts = set()


def in_words(error, timeout):
    """Why a connection failed, said for a learner (never a raw ``URLError`` or ``[Errno 111]``)."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "the server refused the connection"
    if isinstance(reason, socket.gaierror):
        return "the server's name could not be looked up (no network here?)"
    if isinstance(reason, (ConnectionError, OSError)):
        return "the network could not be reached"
    return "the connection failed"


def download(url, path, timeout=5.0, check_hash=True):
    """Download ``url`` to ``path``; returns ``None``, or a short sentence saying why it failed."""
    host = urllib.parse.urlparse(url).netloc
    if host in unreachable_hosts:
        return f"{host} could not be reached earlier in this session"
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return f"the folder {folder} cannot be created"
    if not os.access(folder, os.W_OK):
        return f"the folder {folder} cannot be written to"
    expected = HASH_IN_NAME.search(os.path.basename(path)) if check_hash else None
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)  # torch's downloader opens the URL without a timeout of its own
    try:
        torch.hub.download_url_to_file(url, path, hash_prefix=expected.group(1) if expected else None, progress=False)
        return None
    except urllib.error.HTTPError as error:  # the server answered: it may have the file another time
        return f"the download failed (HTTP {error.code} {error.reason}: the server has no such file)"
    except RuntimeError as error:
        if "invalid hash" in str(error):
            return "the downloaded file failed its checksum"
        raise
    except OSError as error:  # no network, refused, timed out: do not wait for this host again
        unreachable_hosts.add(host)
        return f"the download failed ({in_words(error, timeout)})"
    finally:
        socket.setdefaulttimeout(previous)


def reachable(url, timeout):
    """True when ``url`` answers a HEAD request within ``timeout`` seconds (nothing is downloaded)."""
    host = urllib.parse.urlparse(url).netloc
    if host in unreachable_hosts:
        return False
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except urllib.error.HTTPError:  # the host answered, but not with the file
        return False
    except OSError:
        unreachable_hosts.add(host)
        return False
