# Shared by the packaging checks (sourced): a scratch folder removed on exit, with any server
# started there stopped, and a check that a binary serves the API with a settings file.

scratch=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# serves_with_settings BINARY SETTINGS: runs BINARY with a copy of the settings file whose data
# folder, credentials (a token "t") and listen address are moved into the scratch folder; true
# once the API answers that token (the answer in $answer) and refuses a request without it.
serves_with_settings() {
  local binary=$1 settings=$2 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo '{"tokens": [{"token": "t", "projects": ["*"]}]}' >"$scratch/credentials.json"
  sed -e "s|^data-dir = .*|data-dir = $scratch/data|" \
    -e "s|^credentials = .*|credentials = $scratch/credentials.json|" \
    -e "s|^#listen = .*|listen = 127.0.0.1:$port|" "$settings" >"$scratch/streamrelay.conf"
  "$binary" serve --config "$scratch/streamrelay.conf" >"$scratch/server.log" 2>&1 &
  server=$!
  local url="http://127.0.0.1:$port/v1/p/pull/stream/task"
  for _ in $(seq 1 100); do
    if answer=$(curl -sf -H 'X-Auth-Token: t' "$url"); then
      [ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 401 ] && return 0
      echo "a request without the token was not refused"
      return 1
    fi
    sleep 0.1
  done
  cat "$scratch/server.log"
  return 1
}
