#!/bin/sh
# Install Chromium for the browser tests (tests/browser/), from the system's packages.
# The tests drive it with the Python `playwright` package through `executable_path`, so Playwright's own
# browser download (`playwright install`) is never needed.
# Exits 0 when a Chromium is present afterwards; otherwise prints how to install one and exits 0 too, so
# `make test` goes on: the browser tests then skip with a reason (and fail under CI=true).
set -u

find_chromium() {
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if path=$(find_chromium); then
    echo "Chromium found: $path"
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Chromium with apt-get"
    # Debian's package is `chromium`; Ubuntu's `chromium-browser` is a snap wrapper that does not work in containers.
    # The emoji font only makes the screenshots show the widgets' icons (a timer, a trophy) instead of boxes.
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-color-emoji
    if path=$(find_chromium); then
        echo "Chromium installed: $path"
        exit 0
    fi
    echo "apt-get could not install Chromium" >&2
fi

cat >&2 <<'MSG'
Chromium is not installed, so the browser tests (tests/browser/) will be skipped.
To run them, install Chromium and run the tests again:
  Debian:  sudo apt-get install -y chromium
  Ubuntu:  install Google Chrome or Chromium from a .deb (the snap does not run headless in containers)
  macOS:   brew install --cask chromium
Or point FTLAB_CHROMIUM at any Chromium or Chrome binary.
MSG
exit 0
