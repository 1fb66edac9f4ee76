#!/usr/bin/env bash
# Idle memory of a lifeline binary on the sim board, with the `./dev demo` configuration
# (docs/examples/demo.toml.in: rescue page on, memory guard in dry run), so that a change of
# build flags can be checked for its cost in RSS (docs/performance.md#binary-size-issue-8).
#   bench/idle_rss.sh BINARY [RUNS] [SECONDS]      (defaults: 3 runs, 5 s)
# Each run starts `BINARY run` in a fresh temporary directory, reads VmRSS and RssAnon from
# /proc/PID/status and the Rss of the binary's own mappings from smaps after SECONDS, then ends that one process with SIGTERM (its PID only).
# The rescue page listens on 127.0.0.1 port 0 (any free port), so runs beside a demo or
# another worker do not collide.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
bin=$(readlink -f "${1:?usage: bench/idle_rss.sh BINARY [RUNS] [SECONDS]}")
runs=${2:-3}
secs=${3:-5}
for ((i = 1; i <= runs; i++)); do
  tmp=$(mktemp -d)
  sed -e "s|@STATE_DIR@|$tmp/state|" -e "s|@BOARD@|$ROOT/board/sim.toml|" \
    -e "s|@RUN_DIR@|$tmp|" -e "s|@HEARTBEAT@|$tmp/app-alive|" \
    -e 's|127.0.0.1:8321|127.0.0.1:0|' "$ROOT/docs/examples/demo.toml.in" >"$tmp/lifeline.toml"
  touch "$tmp/app-alive"
  "$bin" run --config "$tmp/lifeline.toml" --console >"$tmp/out.log" 2>&1 &
  pid=$!
  # Keep the demo's health check passing, as ./dev demo's helper does.
  for ((s = 0; s < secs; s++)); do sleep 1; touch "$tmp/app-alive"; done
  if [[ ! -r /proc/$pid/status ]]; then
    echo "run $i: lifeline exited early:" >&2; cat "$tmp/out.log" >&2; exit 1
  fi
  rss=$(awk '/^VmRSS:/{print $2}' "/proc/$pid/status")
  anon=$(awk '/^RssAnon:/{print $2}' "/proc/$pid/status")
  # The binary's own pages (its text, rodata, data): what build flags change directly.
  own=$(awk -v bin="$bin" '/^[0-9a-f]+-[0-9a-f]+ /{f = (NF > 5 ? $6 : "")}
    /^Rss:/ && f == bin {r += $2} END{print r + 0}' "/proc/$pid/smaps")
  kill -TERM "$pid"
  wait "$pid" || true
  echo "run $i: VmRSS $rss KiB, RssAnon $anon KiB, of the binary's own mappings $own KiB"
  rm -rf "$tmp"
done
