# ./dev vm: the QEMU test tier (sourced by ./dev; docs/vm.md).
#   ./dev vm image            build lifeline's .deb (build/vm-deb) and the cached VM image (.cache/vm/)
#   ./dev vm test [NAME...]   image, then the scenarios (all tests when none is named;
#                             the benchmark scenarios run by name or from ./dev bench)
#   ./dev vm list             the scenarios, and which are not yet run
#   ./dev vm shell            image, then boot one guest and open a root shell in it
PACKAGES+=(qemu-system-x86 qemu-utils mmdebstrap busybox-static linux-headers-amd64
  linux-source-6.1 e2fsprogs cpio kmod openssh-client xz-utils python3)

# ./dev bench: the VM measurements (memory_psi, memory_vs_earlyoom, memory_three_arms, footprint), a
# fresh guest each.
vm_bench() {
  tests/vm/prepare.sh >/dev/null
  # shellcheck disable=SC2046
  python3 tests/vm/run.py $(python3 tests/vm/run.py --bench-names) || true
}
BENCH_HOOKS+=(vm_bench)

cmd_vm() {
  local sub=${1:-}
  shift || true
  case $sub in
    image) deps; tests/vm/prepare.sh >/dev/null ;;
    test)
      deps
      tests/vm/prepare.sh >/dev/null
      if (($#)); then
        python3 tests/vm/run.py "$@"
      else
        # shellcheck disable=SC2046
        python3 tests/vm/run.py $(python3 tests/vm/run.py --names)
      fi
      ;;
    list) python3 tests/vm/run.py --list ;;
    shell) deps; tests/vm/prepare.sh >/dev/null && python3 tests/vm/run.py --shell ;;
    *) sed -n '2,5p' tests/vm/dev-vm.sh; return 2 ;;
  esac
}
