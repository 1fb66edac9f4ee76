#!/usr/bin/env bash
# The package's life in a fresh Debian bookworm chroot (tests/package/chroot.sh):
# install, files and conffile, enablement without touching other units (the shipped
# lifeline-exclusivity.service stays disabled until the operator enables it), the binary
# runs and finds its boards, a clean stop disarms the (sim) watchdog, systemd-analyze
# verify of both units, an upgrade that keeps a modified conffile, remove, purge.
#   tests/package/lifecycle.sh V1.deb V2.deb     (as root; V2 ships a changed conffile)
# Every step asserts an observable outcome; the first failure ends the test (exit 1).
# The chroot runs in its own mount namespace (unshare), so /proc is unmounted with it.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
[[ $# -eq 2 ]] || { echo "usage: lifecycle.sh V1.deb V2.deb" >&2; exit 2; }
V1=$(readlink -f "$1") V2=$(readlink -f "$2")
[[ -f $V1 && -f $V2 ]] || { echo "FAIL: no package at $1 or $2" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "lifecycle.sh: needs root" >&2; exit 1; }

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# The runtime dependencies' package names, so the cached chroot has them.
mapfile -t deps < <(dpkg-deb -f "$V1" Depends | tr ',' '\n' | sed 's/^ *//; s/[ (|].*//' |
  awk 'NF')
((${#deps[@]} >= 3)) || { echo "FAIL: no Depends in $V1" >&2; exit 1; }
tarball=$("$HERE/chroot.sh" "${deps[@]}" 2>"${TMPDIR:-/tmp}/lifeline-mmdebstrap.log") ||
  { cat "${TMPDIR:-/tmp}/lifeline-mmdebstrap.log" >&2; echo "FAIL: chroot.sh" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/lifeline-chroot.XXXXXX")
trap 'rm -rf "$work"' EXIT
R=$work/root
mkdir "$R"
tar -C "$R" -xf "$tarball"
cp "$V1" "$R/tmp/v1.deb"
cp "$V2" "$R/tmp/v2.deb"

# Run a command in the chroot with /proc, in a private mount namespace.
in_chroot() {
  unshare --mount --propagation private --fork -- sh -c \
    'r=$1; shift; mount -t proc proc "$r/proc" && exec chroot "$r" env -i \
       PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"' sh "$R" "$@"
}
links() { in_chroot sh -c 'find /etc/systemd /lib/systemd /usr/lib/systemd -type l 2>/dev/null | LC_ALL=C sort'; }
status_of() { in_chroot dpkg-query -W -f='${db:Status-Abbrev}' lifeline 2>/dev/null || true; }

[[ ! -e $R/run/systemd/system ]] || fail "the chroot claims a running systemd"
before=$(links)

# --- install -----------------------------------------------------------------------------
in_chroot dpkg -i /tmp/v1.deb >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i v1"; }
[[ $(status_of) == "ii " ]] || fail "status after install: '$(status_of)'"
v1=$(dpkg-deb -f "$V1" Version)
[[ $(in_chroot dpkg-query -W -f='${Version}' lifeline) == "$v1" ]] || fail "version is not $v1"
ok "dpkg -i installs $v1 with no missing dependency"

for f in /usr/bin/lifeline /lib/systemd/system/lifeline.service \
  /lib/systemd/system/lifeline-exclusivity.service /etc/lifeline/lifeline.toml \
  /usr/share/lifeline/boards/pi4.toml /usr/share/lifeline/boards/pi5.toml \
  /usr/share/lifeline/boards/sim.toml /usr/share/man/man8/lifeline.8.gz \
  /usr/share/man/man5/lifeline.toml.5.gz /usr/share/doc/lifeline/copyright \
  /usr/share/doc/lifeline/changelog.gz /usr/share/doc/lifeline/README.md \
  /usr/share/doc/lifeline/examples/exclusivity-before-app.conf.example; do
  [[ -f $R$f ]] || fail "missing $f"
done
for f in lifeline.service lifeline-exclusivity.service; do
  cmp -s "$R/lib/systemd/system/$f" "$HERE/../../systemd/$f" || fail "$f is not systemd/$f"
done
cmp -s "$R/usr/share/doc/lifeline/examples/exclusivity-before-app.conf.example" \
  "$HERE/../../systemd/exclusivity-before-app.conf.example" ||
  fail "the exclusivity drop-in example is not systemd/exclusivity-before-app.conf.example"
[[ -x $R/usr/bin/lifeline ]] || fail "/usr/bin/lifeline not executable"
in_chroot dpkg-query -W -f='${Conffiles}\n' lifeline | grep -q '^ /etc/lifeline/lifeline.toml ' ||
  fail "/etc/lifeline/lifeline.toml is not a conffile"
cmp -s "$R/etc/lifeline/lifeline.toml" "$HERE/../../docs/examples/lifeline.toml" ||
  fail "the default configuration is not docs/examples/lifeline.toml"
# A unit's Documentation=file://... must name a file the package installed.
for f in lifeline.service lifeline-exclusivity.service; do
  for d in $(sed -n 's/^Documentation=//p' "$R/lib/systemd/system/$f" | tr ' ' '\n' |
    sed -n 's|^file://||p'); do
    [[ -f $R$d ]] || fail "$f names Documentation file://$d, which is not installed"
  done
done
ok "binary, both units, conffile, boards, man pages, docs, examples installed"

[[ -d $R/var/lib/lifeline && $(stat -c %a "$R/var/lib/lifeline") == 750 ]] ||
  fail "state dir /var/lib/lifeline missing or not 0750"
[[ ! -e $R/etc/lifeline/rescue.passwd ]] || fail "a rescue password file was created"
ok "state dir created (0750); no password file"

after=$(links)
added=$(comm -13 <(echo "$before") <(echo "$after"))
removed=$(comm -23 <(echo "$before") <(echo "$after"))
[[ $added == /etc/systemd/system/multi-user.target.wants/lifeline.service ]] ||
  fail "expected exactly the lifeline enablement link, added: [$added]"
[[ -z $removed ]] || fail "install removed links: [$removed]"
[[ $(readlink "$R/etc/systemd/system/multi-user.target.wants/lifeline.service") == \
  /lib/systemd/system/lifeline.service ]] || fail "the enablement link points elsewhere"
# The boot-time exclusivity check is shipped disabled: no link to it, and nothing in
# deb-systemd-helper's state that an upgrade would turn into one.
! grep -q lifeline-exclusivity <<<"$after" || fail "install enabled lifeline-exclusivity.service"
! grep -rqs lifeline-exclusivity "$R/var/lib/systemd/deb-systemd-helper-enabled" ||
  fail "deb-systemd-helper was told to enable lifeline-exclusivity.service"
ok "lifeline.service enabled; lifeline-exclusivity.service not; no other unit touched"

# The unit files are valid for this systemd (bookworm's 252), with the binary in place.
for f in lifeline.service lifeline-exclusivity.service; do
  in_chroot systemd-analyze verify "/lib/systemd/system/$f" >"$work/verify.log" 2>&1 ||
    { cat "$work/verify.log"; fail "systemd-analyze verify $f"; }
  [[ ! -s $work/verify.log ]] || { cat "$work/verify.log"; fail "systemd-analyze verify $f printed warnings"; }
done
ok "systemd-analyze verify lifeline.service lifeline-exclusivity.service: clean"

# The installed binary runs with the installed libraries and configuration...
in_chroot lifeline check-config /etc/lifeline/lifeline.toml >"$work/check.log" 2>&1 ||
  { cat "$work/check.log"; fail "lifeline check-config on the shipped default"; }
# ...finds a board by name in /usr/share/lifeline/boards (the compiled-in directory), and
# a clean stop (SIGTERM) disarms the watchdog with the magic close.
cat >"$R/tmp/sim.toml" <<'EOF'
[agent]
board = "sim"
state_dir = "/tmp/state"
control_socket = "/tmp/control.sock"
[watchdog]
timeout_s = 30
EOF
in_chroot sh -c 'lifeline run --config /tmp/sim.toml >/tmp/run.log 2>&1 & pid=$!
  for i in $(seq 50); do [ -S /tmp/control.sock ] && break; sleep 0.2; done
  lifeline status --config /tmp/sim.toml >/tmp/status.log 2>&1; echo $? >/tmp/status.rc
  kill -TERM $pid; wait $pid; echo $? >/tmp/run.rc' || true
[[ $(cat "$R/tmp/status.rc" 2>/dev/null) == 0 ]] || { cat "$R/tmp/run.log" "$R/tmp/status.log"; fail "lifeline status against the chroot's agent"; }
[[ $(cat "$R/tmp/run.rc" 2>/dev/null) == 0 ]] || { cat "$R/tmp/run.log"; fail "lifeline run did not exit 0 on SIGTERM"; }
grep -q ' pet' "$R/tmp/state/sim/watchdog.log" || fail "the sim watchdog was never petted"
[[ $(tail -n1 "$R/tmp/state/sim/watchdog.log" | cut -d' ' -f2) == magic_close ]] ||
  { tail -n3 "$R/tmp/state/sim/watchdog.log"; fail "the watchdog was not disarmed (magic close) on SIGTERM"; }
ok "the binary resolves board \"sim\" from /usr/share/lifeline/boards; SIGTERM ends with magic_close"

# --- upgrade with a locally modified conffile -------------------------------------------------
echo '# a local change that an upgrade must keep' >>"$R/etc/lifeline/lifeline.toml"
in_chroot dpkg -i --force-confdef --force-confold /tmp/v2.deb >"$work/upgrade.log" 2>&1 ||
  { cat "$work/upgrade.log"; fail "dpkg -i v2"; }
v2=$(dpkg-deb -f "$V2" Version)
[[ $(in_chroot dpkg-query -W -f='${Version}' lifeline) == "$v2" ]] || fail "not upgraded to $v2"
tail -n1 "$R/etc/lifeline/lifeline.toml" | grep -qx '# a local change that an upgrade must keep' ||
  fail "the upgrade lost the local change to the conffile"
[[ -f $R/etc/lifeline/lifeline.toml.dpkg-dist ]] ||
  fail "the new default configuration was not left as lifeline.toml.dpkg-dist"
cmp -s "$R/etc/lifeline/lifeline.toml.dpkg-dist" <(dpkg-deb --fsys-tarfile "$V2" |
  tar -xOf - ./etc/lifeline/lifeline.toml) || fail ".dpkg-dist is not v2's configuration"
cmp -s "$R/etc/lifeline/lifeline.toml.dpkg-dist" <(dpkg-deb --fsys-tarfile "$V1" |
  tar -xOf - ./etc/lifeline/lifeline.toml) &&
  fail "v2 did not ship a changed conffile (the test would prove nothing)"
[[ -L $R/etc/systemd/system/multi-user.target.wants/lifeline.service ]] ||
  fail "the upgrade dropped the enablement"
[[ $(links) == "$after" ]] || fail "the upgrade changed systemd links: [$(diff <(echo "$after") <(links) | sed -n 's/^[<>] //p' | paste -sd' ')]"
ok "upgrade $v1 -> $v2 keeps the modified conffile, new one as .dpkg-dist, still enabled, lifeline-exclusivity still disabled"

# --- the operator enables the boot-time exclusivity check ------------------------------------
in_chroot systemctl enable lifeline-exclusivity.service >"$work/enable.log" 2>&1 ||
  { cat "$work/enable.log"; fail "systemctl enable lifeline-exclusivity.service"; }
[[ -L $R/etc/systemd/system/multi-user.target.wants/lifeline-exclusivity.service ]] ||
  fail "systemctl enable lifeline-exclusivity.service made no multi-user.target link"
ok "the operator can enable lifeline-exclusivity.service (WantedBy=multi-user.target)"

# --- remove ----------------------------------------------------------------------------------
in_chroot dpkg -r lifeline >"$work/remove.log" 2>&1 || { cat "$work/remove.log"; fail "dpkg -r"; }
[[ $(status_of) == "rc " ]] || fail "status after remove: '$(status_of)'"
[[ ! -e $R/usr/bin/lifeline && ! -e $R/lib/systemd/system/lifeline.service &&
  ! -e $R/lib/systemd/system/lifeline-exclusivity.service ]] ||
  fail "dpkg -r left the binary or a unit"
[[ -f $R/etc/lifeline/lifeline.toml && -d $R/var/lib/lifeline ]] ||
  fail "dpkg -r removed the configuration or the state"
ok "dpkg -r: binary and unit gone, configuration and state kept"

# --- purge -----------------------------------------------------------------------------------
echo 'not a real hash' >"$R/etc/lifeline/rescue.passwd"
in_chroot dpkg -P lifeline >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "dpkg -P"; }
[[ -z $(status_of) || $(status_of) == "un " ]] || fail "status after purge: '$(status_of)'"
[[ ! -e $R/etc/lifeline ]] || { ls -la "$R/etc/lifeline"; fail "purge left /etc/lifeline"; }
[[ ! -e $R/var/lib/lifeline ]] || fail "purge left /var/lib/lifeline"
[[ $(links) == "$before" ]] || fail "purge left systemd links: $(comm -13 <(echo "$before") <(links))"
! grep -rqs lifeline "$R/var/lib/systemd/deb-systemd-helper-enabled" "$R/var/lib/systemd/deb-systemd-helper-masked" ||
  fail "deb-systemd-helper still remembers lifeline"
ok "dpkg -P: configuration, state, password, both units' enablement and the mask all gone"
echo "PASS: install, upgrade, remove, purge"
