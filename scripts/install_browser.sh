#!/bin/sh
# Install Chromium for the browser tests (tests/browser/), from the system's packages, after saying what it installs.
# The tests drive it with the Python `playwright` package through `executable_path`, so Playwright's own
# browser download (`playwright install`) is never needed.
# FTLAB_NO_SYSTEM_PACKAGES=1 installs nothing: the browser tests then skip and say why (they fail under CI=true).
# Always exits 0, so `make test` goes on; without Chromium the browser tests skip with a reason.
set -u

# Debian's package is `chromium`; Ubuntu's `chromium-browser` is a snap wrapper that does not work in containers.
# fonts-liberation draws web pages' common fonts; the emoji font only makes the screenshots show the widgets'
# icons (a timer, a trophy) instead of boxes. Chromium's recommended extras (udev, upower, a notification
# daemon, printer set-up, avahi) are left out: a headless browser needs none of them.
PACKAGES="chromium fonts-liberation fonts-noto-color-emoji"

find_chromium() {
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

how_to_install() {
    cat >&2 <<'MSG'
To run the browser tests, install Chromium and run the tests again:
  Debian:  sudo apt-get install -y --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji
  Ubuntu:  install Google Chrome or Chromium from a .deb (the snap does not run headless in containers)
  macOS:   brew install --cask chromium
Or point FTLAB_CHROMIUM at any Chromium or Chrome binary.
MSG
}

if path=$(find_chromium); then
    echo "Chromium found: $path"
    exit 0
fi

if [ "${FTLAB_NO_SYSTEM_PACKAGES:-}" = "1" ]; then
    echo "Chromium is not installed and FTLAB_NO_SYSTEM_PACKAGES=1: installing no system packages," \
         "so the browser tests (tests/browser/) will be skipped." >&2
    how_to_install
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    cat <<MSG
The browser tests need Chromium, which is not installed. Installing it now with apt-get (as root):
  apt-get update, then apt-get install --no-install-recommends $PACKAGES
  On Debian 12 that is about 27 packages, 135 MB to download and 430 MB on disk; apt-get lists them and
  their size below before it downloads. Chromium also becomes the system's x-www-browser if there was none.
  To install nothing, stop now (Ctrl-C) and run:  FTLAB_NO_SYSTEM_PACKAGES=1 make test
MSG
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $PACKAGES
    if path=$(find_chromium); then
        echo "Chromium installed: $path"
        exit 0
    fi
    echo "apt-get could not install Chromium" >&2
fi

echo "Chromium is not installed, so the browser tests (tests/browser/) will be skipped." >&2
how_to_install
exit 0
