# Shared by the test-server scripts beside this file (sourced, not run).
#
# The scripts start throwaway servers as child processes on 127.0.0.1, keep
# everything (data, logs, pids, sockets) in one directory DIR, write DIR/env
# with what a client needs, and stop them by pid. They never touch system
# services or system-wide state.
#
# A DIR the scripts own holds the marker file DIR/.contentstore-test-server;
# `start` refuses a non-empty directory without it, so a mistyped DIR (say
# $HOME) is never wiped.

ts_name=${ts_name:-test-server}
ts_marker=.contentstore-test-server

ts_say() { echo "$ts_name: $*" >&2; }
ts_die() {
  ts_say "error: $*"
  exit 1
}

# Seconds since the epoch with a fraction, for deadlines and measurements.
ts_now() { date +%s.%N; }
ts_elapsed() { awk -v a="$1" -v b="$(ts_now)" 'BEGIN { printf "%.1f", b - a }'; }

# ts_set_deadline SECONDS: the whole start must finish within SECONDS from
# now; ts_remaining prints the seconds left (at least 1) for the next wait.
ts_set_deadline() { ts_deadline=$(awk -v n="$(ts_now)" -v t="$1" 'BEGIN { printf "%.3f", n + t }'); }
ts_remaining() { awk -v n="$(ts_now)" -v d="$ts_deadline" 'BEGIN { r = d - n; printf "%.1f", r < 1 ? 1 : r }'; }

# ts_prepare_dir DIR: makes DIR an empty directory owned by these scripts.
# A directory from an earlier run (it has the marker) is emptied; a stopped
# instance's leftovers are fine, a running one is refused by the caller first.
ts_prepare_dir() {
  local dir=$1
  if [ -e "$dir" ] && [ ! -d "$dir" ]; then ts_die "$dir exists and is not a directory"; fi
  if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ] && [ ! -e "$dir/$ts_marker" ]; then
    ts_die "$dir is not empty and was not made by this script; refusing to wipe it"
  fi
  mkdir -p "$dir"
  find "$dir" -mindepth 1 -maxdepth 1 ! -name "$ts_marker" -exec rm -rf {} +
  echo "$ts_name" >"$dir/$ts_marker"
}

# ts_free_ports N: prints N distinct TCP ports that are free on 127.0.0.1 right
# now (the kernel picks them; another process may take one before we bind it,
# in which case the server fails to start and says so in its log).
ts_free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# ts_port_is_free PORT: true when nothing listens on 127.0.0.1:PORT.
ts_port_is_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# ts_check_port PORT: dies unless PORT is a port number free on 127.0.0.1.
ts_check_port() {
  [[ $1 =~ ^[0-9]+$ ]] && (($1 > 0 && $1 < 65536)) || ts_die "bad port: $1"
  ts_port_is_free "$1" || ts_die "cannot bind 127.0.0.1:$1 (in use, or below 1024 and we are not root)"
}

# ts_pid_matches PID PATTERN: true when PID is alive and its command line
# contains PATTERN (a path inside DIR), so a recycled pid is never killed.
ts_pid_matches() {
  local pid=$1 pattern=$2
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -F -- "$pattern" >/dev/null
}

# ts_wait_for DESCRIPTION TIMEOUT_SECONDS COMMAND...: runs COMMAND every
# 0.2 s until it succeeds; returns 1 after TIMEOUT_SECONDS. If the function
# ts_check_alive is defined, it runs between attempts and a failure there
# (a daemon died) returns 1 at once.
ts_wait_for() {
  local what=$1 timeout=$2
  shift 2
  local deadline
  deadline=$(awk -v n="$(ts_now)" -v t="$timeout" 'BEGIN { printf "%.3f", n + t }')
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if declare -F ts_check_alive >/dev/null && ! ts_check_alive; then
      ts_say "a daemon exited or failed (see its log) while waiting for $what"
      return 1
    fi
    if awk -v n="$(ts_now)" -v d="$deadline" 'BEGIN { exit !(n > d) }'; then
      ts_say "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

# ts_stop_pid NAME PID PATTERN SIGNAL TIMEOUT: sends SIGNAL to PID if it is
# still the process we started (see ts_pid_matches), waits up to TIMEOUT
# seconds for it to exit, then SIGKILLs it and waits again.
ts_stop_pid() {
  local name=$1 pid=$2 pattern=$3 sig=$4 timeout=$5
  if ! ts_pid_matches "$pid" "$pattern"; then
    ts_say "$name (pid ${pid:-?}) is not running"
    return 0
  fi
  kill "-$sig" "$pid" 2>/dev/null || true
  local i
  for ((i = 0; i < timeout * 10; i++)); do
    ts_pid_matches "$pid" "$pattern" || return 0
    sleep 0.1
  done
  ts_say "$name (pid $pid) did not exit within ${timeout}s of SIG$sig; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    ts_pid_matches "$pid" "$pattern" || return 0
    sleep 0.1
  done
  ts_say "$name (pid $pid) survived SIGKILL"
  return 1
}

# ts_dump_logs FILE...: the last lines of each log, to standard error.
ts_dump_logs() {
  local f
  for f in "$@"; do
    grep -q '[^[:space:]]' "$f" 2>/dev/null || continue  # missing or blank
    echo "----- last 40 lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
  echo "-----" >&2
}

# ts_random_token LENGTH CHARSET: a random string (tr character class).
ts_random_token() {
  local s
  s=$(head -c 512 /dev/urandom | LC_ALL=C tr -dc "$2")
  echo "${s:0:$1}"
}
