#!/usr/bin/env bash
# Installs every Debian package that building, running and testing streamrelay needs.
# Idempotent: packages already present are left alone; apt-get runs only when one is missing.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config clang-format
  libavformat-dev libavcodec-dev libavutil-dev
  libboost-dev libboost-context-dev nlohmann-json3-dev rapidjson-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev libssl-dev
  libspdlog-dev libcli11-dev libgtest-dev libgmock-dev
  # fuzzing (libFuzzer)
  clang libclang-rt-14-dev
  # test peers and tools
  # (the ffmpeg package also provides ffprobe, which the tests use to read what arrives)
  ffmpeg nginx libnginx-mod-rtmp curl procps nodejs
  # rtmps ingests in tests: nginx's stream module terminates TLS (certificates made by openssl)
  libnginx-mod-stream openssl ca-certificates
  # cluster tests: a throwaway PostgreSQL server (initdb, postgres) per test run
  postgresql util-linux
  # security tests: a private network namespace with an address of its own
  iproute2
  # an RTSP server for source tests: GStreamer's gst-rtsp-server through Debian's Python bindings
  python3 python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-tools
  # other RTMP stacks for the peer matrix: GStreamer's encoders and rtmp2sink, rtmpdump (librtmp);
  # node-media-server comes from the npm registry when the tests run
  gstreamer1.0-plugins-ugly rtmpdump
  # console test: a real browser, driven headless
  chromium
  # benchmarks
  wrk
  # the alert rules: promtool checks and unit-tests them, a real Prometheus scrapes a test server
  prometheus
  # the systemd unit is checked with systemd-analyze verify, the Debian package with lintian
  systemd lintian
)

is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
has_updated=false
install() {
  if [ "$has_updated" = false ]; then
    "${sudo_cmd[@]}" apt-get update
    has_updated=true
  fi
  echo "install-deps: installing $*"
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "$@"
}

missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then install "${missing[@]}"; fi

# Debian's own nodejs comes without npm (other builds of the nodejs package include it).
if ! command -v npm >/dev/null 2>&1; then install npm; fi

# The Debian nginx and prometheus packages start system-wide servers (ports 80 and 9090);
# streamrelay's tests run their own.
if [ ${#missing[@]} -gt 0 ] && command -v systemctl >/dev/null 2>&1; then
  for service in nginx prometheus; do
    if systemctl is-active --quiet "$service" 2>/dev/null; then
      "${sudo_cmd[@]}" systemctl stop "$service" || true
    fi
  done
fi
