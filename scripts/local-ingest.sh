#!/usr/bin/env bash
# A local RTMP ingest to try streamrelay without a streaming platform: Debian's nginx with the
# RTMP module (installed by make), serving rtmp://127.0.0.1:1935/live/<anything> in the
# foreground, its files under ./data/ingest. Ctrl-C stops it.
set -euo pipefail
port="${1:-1935}"
root="$(pwd)/data/ingest"
mkdir -p "$root/logs"
cat > "$root/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
daemon off;
master_process off;
worker_processes 1;
error_log $root/logs/error.log;
pid $root/logs/nginx.pid;
events { worker_connections 1024; }
rtmp { server { listen 127.0.0.1:$port; application live { live on; } } }
CONF
echo "local ingest: rtmp://127.0.0.1:$port/live/<stream> (watch with: ffplay rtmp://127.0.0.1:$port/live/<stream>)"
exec nginx -p "$root" -c "$root/nginx.conf"
