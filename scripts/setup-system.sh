#!/usr/bin/env bash
# Debian packages the tests and screenshots need: nginx (a real peer on loopback) and rsvg-convert (SVG -> PNG).
# Installs them only when missing; needs root (or sudo) for apt-get.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
command -v rsvg-convert >/dev/null 2>&1 || need+=(librsvg2-bin)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: please install ${need[*]} (apt-get install -y ${need[*]}) as root; the tests need them." >&2
    exit 1
  fi
fi
echo "setup: installing ${need[*]} with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
