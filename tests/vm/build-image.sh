#!/usr/bin/env bash
# Builds the VM test image from Debian packages only, in two cached stages:
#   base  (slow, ~1 min): mmdebstrap rootfs, the Debian kernel and its modules, gpio-sim
#         built out of tree, a tiny busybox initramfs. Keyed by this script, the package
#         list and the kernel version.
#   image (fast, seconds): base + lifeline's .deb (dpkg -i) + the rig's guest files + a
#         per-build ssh key, turned into an ext4 file with mkfs.ext4 -d. Keyed by the base
#         and every input.
# Usage: build-image.sh LIFELINE_DEB [CACHE_DIR]   (as root; prints the image dir)
# The image dir holds rootfs.ext4, vmlinuz, initrd.img, id_ed25519 and image.json.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DEB=$(readlink -f "${1:?usage: build-image.sh LIFELINE_DEB [CACHE_DIR]}")
CACHE=${2:-$ROOT/.cache/vm}
mkdir -p "$CACHE"
CACHE=$(readlink -f "$CACHE")

log() { printf '[vm-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
[[ $(id -u) -eq 0 ]] || die "needs root (mmdebstrap --mode=root, mkfs.ext4 -d with root-owned files)"
[[ -f $DEB && $(dpkg-deb -f "$DEB" Package 2>/dev/null) == lifeline ]] ||
  die "no lifeline .deb at $DEB"

# The guest kernel is the one whose headers are installed (linux-headers-amd64 from ./dev),
# so the out-of-tree gpio-sim module always matches it.
KVER=$(find /usr/src -maxdepth 1 -name 'linux-headers-*-amd64' -printf '%f\n' |
  sed 's/^linux-headers-//' | sort -V | tail -n1)
[[ -n $KVER ]] || die "no /usr/src/linux-headers-*-amd64: apt-get install linux-headers-amd64"
[[ -f /usr/src/linux-source-6.1.tar.xz ]] || die "no linux-source-6.1: apt-get install linux-source-6.1"

# The .deb's Depends must be here: stage 2 installs it with dpkg -i, which fetches nothing.
PACKAGES=systemd,systemd-sysv,udev,kmod,openssh-server,gpiod,iproute2,procps,dbus
# earlyoom: the memory scenario compares lifeline with it on the same hog (disabled at boot).
PACKAGES+=,earlyoom
PACKAGES+=,libgpiod2,libserialport0,libsystemd0,libtomlplusplus3,libcivetweb1
# Guest modules (and their dependencies): the root disk in the initramfs, the rest on disk.
INITRD_MODULES="virtio_pci virtio_blk ext4 watchdog i6300esb"
DISK_MODULES="virtio_net virtio_console configfs"

hash_of() { sha256sum | cut -c1-16; }
BASE_KEY=$( {
  echo "$KVER $PACKAGES $INITRD_MODULES $DISK_MODULES"
  sed -n '/^# --- base ---$/,/^# --- end base ---$/p' "$0"
  cat "$HERE/initramfs-init"
} | hash_of)
BASE=$CACHE/base-$BASE_KEY

# --- base ---
build_base() {
  local tmp=$BASE.tmp
  rm -rf "$tmp"
  mkdir -p "$tmp/debs" "$tmp/kernel" "$tmp/gpio-sim" "$tmp/initramfs"
  log "base $BASE_KEY: kernel $KVER"
  (cd "$tmp/debs" && apt-get download -q "linux-image-$KVER" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
    die "apt-get download linux-image-$KVER failed (is the archive newer? apt-get install linux-headers-amd64)"
  dpkg-deb -x "$tmp"/debs/linux-image-*.deb "$tmp/kernel"
  cp "$tmp/kernel/boot/vmlinuz-$KVER" "$tmp/vmlinuz"
  depmod -b "$tmp/kernel" "$KVER"

  log "gpio-sim out of tree (Debian's 6.1 has no CONFIG_GPIO_SIM / CONFIG_IRQ_SIM)"
  tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$tmp/gpio-sim" --strip-components=3 \
    linux-source-6.1/drivers/gpio/gpio-sim.c linux-source-6.1/drivers/gpio/gpiolib.h \
    linux-source-6.1/kernel/irq/irq_sim.c
  # irq_to_desc() is not exported to modules; generic_handle_irq() does the same lookup.
  sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' \
    "$tmp/gpio-sim/irq_sim.c"
  grep -q 'generic_handle_irq(irqnum);' "$tmp/gpio-sim/irq_sim.c" || die "irq_sim.c patch did not apply"
  printf 'obj-m := gpio-sim-mod.o\ngpio-sim-mod-y := gpio-sim.o irq_sim.o\n' >"$tmp/gpio-sim/Kbuild"
  make -s -C "/usr/src/linux-headers-$KVER" M="$tmp/gpio-sim" modules 2>&1 | grep -v BTF >&2 || true
  [[ -f $tmp/gpio-sim/gpio-sim-mod.ko ]] || die "gpio-sim module did not build"

  log "initramfs: busybox + $INITRD_MODULES"
  local ir=$tmp/initramfs m
  mkdir -p "$ir"/{bin,dev,proc,sys,newroot,modules}
  cp /bin/busybox "$ir/bin/busybox"
  ldd "$ir/bin/busybox" >/dev/null 2>&1 && die "/bin/busybox is not static (apt-get install busybox-static)"
  for m in $INITRD_MODULES; do
    modprobe -d "$tmp/kernel" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | awk '!seen[$0]++' | while read -r m; do
    cp "$m" "$ir/modules/" && basename "$m" >>"$ir/modules/order"
  done
  install -m 0755 "$HERE/initramfs-init" "$ir/init"
  (cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/initrd.img"

  log "rootfs: mmdebstrap minbase + $PACKAGES"
  local sources
  sources=$(grep -rhs '^URIs:' /etc/apt/sources.list.d/debian.sources | head -n1 | awk '{print $2}')
  mmdebstrap --mode=root --variant=minbase --quiet \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include="$PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    bookworm "$tmp/rootfs" "deb ${sources:-http://deb.debian.org/debian} bookworm main" \
    "deb ${sources:-http://deb.debian.org/debian} bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" >&2

  log "guest modules: $INITRD_MODULES $DISK_MODULES + gpio-sim-mod"
  local kmods=$tmp/rootfs/usr/lib/modules/$KVER
  mkdir -p "$kmods/extra"
  cp "$tmp/kernel/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} "$kmods/"
  for m in $INITRD_MODULES $DISK_MODULES; do
    modprobe -d "$tmp/kernel" -S "$KVER" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
  done | sort -u | while read -r m; do
    local rel=${m#"$tmp/kernel/lib/modules/$KVER/"}
    mkdir -p "$kmods/$(dirname "$rel")" && cp "$m" "$kmods/$rel"
  done
  cp "$tmp/gpio-sim/gpio-sim-mod.ko" "$kmods/extra/"
  depmod -b "$tmp/rootfs" "$KVER"

  rm -rf "$tmp/debs" "$tmp/kernel" "$tmp/gpio-sim" "$tmp/initramfs"
  echo "$KVER" >"$tmp/kver"
  rm -rf "$BASE" && mv "$tmp" "$BASE"
}
# --- end base ---

# Inputs of stage 2: the base, the guest tree, the helper sources, lifeline's .deb.
guest_inputs() {
  (cd "$ROOT" && find tests/vm/guest tests/vm/tools board/qemu.toml -type f | sort |
    xargs sha256sum)
  sha256sum "$DEB" | cut -d' ' -f1
  sed -n '/^# --- image ---$/,/^# --- end image ---$/p' "$0"
}

# --- image ---
build_image() {
  local out=$1 tmp=$1.tmp root
  rm -rf "$tmp" && mkdir -p "$tmp"
  root=$tmp/rootfs
  log "image $(basename "$out"): copying base"
  cp -a "$BASE/rootfs" "$root"

  log "installing $(basename "$DEB") with dpkg -i, and the rig's guest files"
  cp "$DEB" "$root/tmp/lifeline.deb"
  chroot "$root" dpkg -i /tmp/lifeline.deb >&2 ||
    die "dpkg -i failed in the image; its Depends: $(dpkg-deb -f "$DEB" Depends)"
  rm -f "$root/tmp/lifeline.deb"
  # The rig's board (the package ships the robots' boards); the rig's configuration in
  # guest/ replaces the package's conffile, as an operator's edit would.
  install -D -m 0644 "$ROOT/board/qemu.toml" "$root/usr/share/lifeline/boards/qemu.toml"
  cp -a "$HERE/guest/." "$root/"
  chown -R root:root "$root/etc" "$root/usr/local"
  local tool
  for tool in "$HERE"/tools/*.c; do
    gcc -O2 -Wall -Wextra -Werror -I"$ROOT/include" -o "$root/usr/local/bin/$(basename "$tool" .c)" "$tool"
  done
  # The duplicates scenario's web app (port 5000): the mediamtx stand-in under another
  # name, so /proc/PID/exe tells the two programs apart.
  install -m 0755 "$root/usr/local/bin/mediamtx" "$root/usr/local/bin/avatar-web"
  if chroot "$root" ldd /usr/bin/lifeline | grep 'not found' >&2; then
    die "lifeline needs libraries the image lacks: add their packages to PACKAGES"
  fi

  log "systemd: machine-id, units, masks; ssh key"
  echo 0123456789abcdef0123456789abcdef >"$root/etc/machine-id"
  echo lifeline-vm >"$root/etc/hostname"
  # No fstab entry for /: the initramfs mounts it rw, and an entry would make systemd wait
  # for udev to announce dev-vda.device (~9 s under TCG).
  echo '# / is mounted read-write by the initramfs' >"$root/etc/fstab"
  local u
  for u in systemd-logind.service getty.target serial-getty@.service getty@.service \
    console-getty.service apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service \
    systemd-networkd-wait-online.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$u"
  done
  for u in lifeline.service rig-ready.service systemd-networkd.service; do
    chroot "$root" systemctl enable --quiet "$u"
  done
  chroot "$root" systemctl disable --quiet earlyoom.service
  mkdir -p -m 0700 "$root/root/.ssh"
  ssh-keygen -q -t ed25519 -N '' -C lifeline-vm-rig -f "$tmp/id_ed25519"
  install -m 0600 "$tmp/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
  rm -f "$root"/etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -f "$root/etc/ssh/ssh_host_ed25519_key"

  log "mkfs.ext4 -d (no loop mounts)"
  mkfs.ext4 -q -F -L lifeline-vm -d "$root" "$tmp/rootfs.ext4" 1G >&2
  cp "$BASE/vmlinuz" "$BASE/initrd.img" "$tmp/"
  printf '{"kernel": "%s", "base": "%s", "image": "%s"}\n' "$(cat "$BASE/kver")" \
    "$(basename "$BASE")" "$(basename "$out")" >"$tmp/image.json"
  rm -rf "$root"
  rm -rf "$out" && mv "$tmp" "$out"
}
# --- end image ---

exec 9>"$CACHE/.lock"
flock 9
start=$(date +%s%N)
if [[ ! -f $BASE/kver ]]; then build_base; fi
IMAGE=$CACHE/image-$( { echo "$BASE_KEY"; guest_inputs; } | hash_of)
if [[ ! -f $IMAGE/image.json ]]; then
  build_image "$IMAGE"
  # Keep the newest few images only; a base is kept while an image uses it.
  ls -dt "$CACHE"/image-* | tail -n +4 | xargs -r rm -rf
  find "$CACHE" -maxdepth 1 -name 'base-*' ! -path "$BASE" -exec rm -rf {} +
fi
ln -sfn "$(basename "$IMAGE")" "$CACHE/current"
log "ready in $((($(date +%s%N) - start) / 1000000)) ms: $IMAGE"
echo "$IMAGE"
