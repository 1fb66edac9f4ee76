# Sourced by ./dev: what the memory guard's tests and benchmarks need beyond the base list.
# sshd for the SSH probe tests and earlyoom for the side-by-side benchmark are installed
# with service starts refused (policy-rc.d), so no daemon is left running on the machine:
# each test starts its own sshd on a loopback port and ends it by PID.
memory_guard_setup() {
  local wanted=(openssh-server earlyoom) missing=() p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "installing (services not started): ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  local policy=/usr/sbin/policy-rc.d created=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    created=1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  ((created)) && "${sudo[@]}" rm -f "$policy"
  return 0
}
SETUP_HOOKS+=(memory_guard_setup)

# ./dev bench: the memory guard's relief latency and idle cost.
memory_guard_bench() {
  python3 bench/memory_scenarios.py build/bench
}
BENCH_HOOKS+=(memory_guard_bench)
