# Shell helpers for the server's containerd tests (sourced).
#
# skip REASON: exit 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE),
# so an environment that cannot run containerd shows up as such and never
# as a pass. With CONTENTSTORE_REQUIRE_CONTAINERD=1 (CI) a skip is a failure.
#
# The tests run with pipefail, so they test a command's output with
# `CMD | grep PATTERN >/dev/null`, never `grep -q`: grep -q exits at its
# first match, and a CMD still writing then dies of SIGPIPE, which pipefail
# turns into a failure (seen: `ctr content ls -q | grep -qx` failing while
# the blob was listed).

skip() {
  echo "SKIPPED: $*" >&2
  if [ "${CONTENTSTORE_REQUIRE_CONTAINERD:-0}" = 1 ]; then
    echo "CONTENTSTORE_REQUIRE_CONTAINERD=1: a skip is a failure here" >&2
    exit 1
  fi
  exit 77
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

step() {
  echo "--- $* ($(date +%T.%N | cut -c1-12))" >&2
}

# wait_for_socket PATH PID: until PATH accepts connections; fails if PID
# dies first or 30 s pass.
wait_for_socket() {
  local path=$1 pid=$2 i
  for ((i = 0; i < 3000; i++)); do
    if [ -S "$path" ] && python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$path" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

# stop_pid PID: SIGTERM, then SIGKILL after 15 s; waits for it.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 1500; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# start_contentstore BIN ROOT SOCKET LOG [SERVE-FLAG...]: starts
# `contentstore serve` in the background and sets SERVE_PID once it listens.
start_contentstore() {
  local bin=$1 root=$2 sock=$3 log=$4
  "$bin" serve --root "$root" --address "$sock" "${@:5}" >"$log" 2>&1 &
  SERVE_PID=$!
  wait_for_socket "$sock" "$SERVE_PID" || { cat "$log" >&2; fail "contentstore serve did not start"; }
}

# in_catalog ROOT DIGEST: prints 1 if our catalog has the blob, else 0.
in_catalog() {
  sqlite3 "$1/catalog.db" "select count(*) from blobs where digest = '$2'"
}
