#!/usr/bin/env bash
# Installs every Debian package that building, running and testing streamrelay needs.
# Idempotent: packages already present are left alone; apt-get runs only when one is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang-format
  libavformat-dev libavcodec-dev libavutil-dev
  libboost-dev nlohmann-json3-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev libssl-dev
  libspdlog-dev libcli11-dev libgtest-dev libgmock-dev
  # test peers and tools
  ffmpeg nginx libnginx-mod-rtmp curl procps
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
# The Debian nginx package starts a system-wide server on port 80; streamrelay's tests run their own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  "${sudo_cmd[@]}" systemctl stop nginx || true
fi
