#!/usr/bin/env bash
# Build lifeline for a Debian architecture the way the package ships it, and optionally
# turn it into a .deb.
#   tests/package/build.sh compile ARCH [BUILD_DIR] [--tests]   configure + build
#   tests/package/build.sh deb ARCH [OUT_DIR]                    compile, stage, dpkg-deb
# ARCH is amd64 (native, build/deb), arm64 or armhf (cross, build/cross-ARCH with the
# toolchain/ files). Flags come from dpkg-buildflags (hardening=+all, without -g), plus
# size flags (-Os, sections, --gc-sections, --as-needed, LTO; see compile below); the build is
# Release, prefix /usr (so LIFELINE_BOARDS_DIR is /usr/share/lifeline/boards), and
# libgpiod/libserialport are linked from their static archives (LIFELINE_STATIC_HWLIBS).
# Environment: JOBS (parallel jobs); LIFELINE_BUILD_TARGETS for `compile`; LIFELINE_WERROR=OFF
# to see every warning of a new architecture at once (default ON). For tests: LIFELINE_DEB_VERSION overrides the version (default: the CMake
# project version); LIFELINE_DEB_CONFFILE_NOTE appends a comment line to the shipped
# default configuration (so an upgrade test can ship a changed conffile).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
HERE=$ROOT/tests/package
JOBS=${JOBS:-$(nproc)}

die() { echo "build.sh: $*" >&2; exit 1; }

triplet_of() {
  case $1 in
    amd64) echo x86_64-linux-gnu ;;
    arm64) echo aarch64-linux-gnu ;;
    armhf) echo arm-linux-gnueabihf ;;
    *) die "unknown architecture '$1' (amd64, arm64, armhf)" ;;
  esac
}

default_build_dir() {
  if [[ $1 == amd64 ]]; then echo "$ROOT/build/deb"; else echo "$ROOT/build/cross-$1"; fi
}

buildflag() {  # arch name
  (cd "$ROOT" && DEB_HOST_ARCH=$1 DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get "$2")
}

# dpkg-buildflags' flags without the -g token.
without_g() { local f=" $1 "; f=${f// -g / }; f=${f# }; echo "${f% }"; }

# compile ARCH DIR TESTS(0/1)
compile() {
  local arch=$1 dir=$2 tests=$3 triplet
  triplet=$(triplet_of "$arch")
  local cmake_args=(-S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_INSTALL_PREFIX=/usr -DLIFELINE_STATIC_HWLIBS=ON -DLIFELINE_BENCH=OFF
    -DLIFELINE_WERROR="${LIFELINE_WERROR:-ON}")
  if ((tests)); then cmake_args+=(-DLIFELINE_TESTS=ON); else cmake_args+=(-DLIFELINE_TESTS=OFF); fi
  local overlay=${LIFELINE_CROSS_OVERLAY:-$ROOT/.cache/package/overlay-$arch} overlay_ld=""
  if [[ $arch != amd64 ]]; then
    cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$ROOT/toolchain/$triplet.cmake")
    # Target libraries unpacked outside multiarch (see dev-package.sh), when there are any.
    if [[ -d $overlay ]]; then
      cmake_args+=(-DLIFELINE_CROSS_OVERLAY="$overlay")
      overlay_ld=" -Wl,-rpath-link,$overlay/usr/lib/$triplet:$overlay/lib/$triplet"
    fi
  fi
  # Debian's hardening flags for the target architecture (PIE, relro/now, stack
  # protector, fortify); -ffile-prefix-map keeps the build path out of the binary.
  local cppflags cxxflags cflags ldflags
  cppflags=$(buildflag "$arch" CPPFLAGS)
  cxxflags=$(buildflag "$arch" CXXFLAGS)
  cflags=$(buildflag "$arch" CFLAGS)
  ldflags=$(buildflag "$arch" LDFLAGS)
  # _FORTIFY_SOURCE marks write/read/ftruncate warn_unused_result, which a (void) cast
  # does not silence in GCC: three best-effort calls in src/ warn (reported, not fatal).
  cxxflags+=" -Wno-error=unused-result"
  # Size (docs/packaging.md#binary-size, the goal is <= 1.5 MB): optimise for size, one
  # section per function and object so the linker drops what nothing references, and no
  # NEEDED entry for a library nothing uses. No -g: the package ships the binary
  # stripped, and debug info only slows the build.
  # LIFELINE_OPT=-O3 / LIFELINE_SIZE_FLAGS= / LIFELINE_SIZE_LDFLAGS= measure without them.
  local opt=${LIFELINE_OPT:--Os}
  local size_flags=${LIFELINE_SIZE_FLAGS--ffunction-sections -fdata-sections}
  local size_ldflags=${LIFELINE_SIZE_LDFLAGS--Wl,--gc-sections -Wl,--as-needed}
  # Link-time optimisation: the whole program is optimised for size at once, so the copies
  # of inline libstdc++ code every object file kept (std::string's internals in ~100 of
  # them) merge, and code only reachable from other files is inlined or dropped: arm64
  # 1,525,952 -> 1,263,816 B stripped (docs/packaging.md#binary-size). CMake runs the
  # cross toolchain's gcc-ar/gcc-ranlib for the static lifeline_core. The unit tests of a
  # cross build link the same LTO objects, so they test the code as the package builds it.
  # LIFELINE_LTO=0 measures without; set explicitly either way, so a build dir configured
  # earlier does not keep the other setting in its cache.
  if [[ ${LIFELINE_LTO:-1} == 1 ]]; then
    cmake_args+=(-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON)
  else
    cmake_args+=(-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF)
  fi
  cxxflags=$(without_g "$cxxflags")
  cflags=$(without_g "$cflags")
  cmake_args+=(-DCMAKE_CXX_FLAGS="$cppflags $cxxflags $size_flags"
    -DCMAKE_C_FLAGS="$cppflags $cflags $size_flags"
    -DCMAKE_CXX_FLAGS_RELEASE="$opt -DNDEBUG" -DCMAKE_C_FLAGS_RELEASE="$opt -DNDEBUG"
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags $size_ldflags$overlay_ld")
  cmake "${cmake_args[@]}" >/dev/null
  # LIFELINE_BUILD_TARGETS="lifeline unit_tests" builds only those (the cross tests).
  local targets=()
  [[ -n ${LIFELINE_BUILD_TARGETS:-} ]] && read -ra targets <<<"--target $LIFELINE_BUILD_TARGETS"
  cmake --build "$dir" -j "$JOBS" "${targets[@]}" ${LIFELINE_KEEP_GOING:+-- -k 0}
}

# The architecture a binary was built for, read from its ELF header.
check_elf_arch() {  # file arch
  local want
  case $2 in
    amd64) want='X86-64' ;;
    arm64) want='AArch64' ;;
    armhf) want='ARM$' ;;
  esac
  readelf -h "$1" | grep -E "Machine:.*$want" >/dev/null ||
    die "$1 is not an $2 binary: $(readelf -h "$1" | grep Machine:)"
}

gz() { gzip -9n <"$1" >"$2"; }

deb() {
  local arch=$1 out=${2:-$ROOT/build/deb}
  local dir version triplet overlay=${LIFELINE_CROSS_OVERLAY:-$ROOT/.cache/package/overlay-$1}
  dir=$(default_build_dir "$arch")
  triplet=$(triplet_of "$arch")
  # Only the binary; a cross build dir keeps its tests configured (./dev cross shares it).
  LIFELINE_BUILD_TARGETS=lifeline compile "$arch" "$dir" "$([[ $arch == amd64 ]] && echo 0 || echo 1)" >&2  # stdout is the .deb path
  version=${LIFELINE_DEB_VERSION:-$(sed -n 's/^project(lifeline VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")}
  [[ -n $version ]] || die "no version"

  local work=$dir/pkg
  local stage=$work/lifeline
  rm -rf "$work"
  mkdir -p "$stage/DEBIAN" "$work/debian"
  # Binary (stripped with the target's strip) and board files, via the CMake install rules.
  DESTDIR=$stage cmake --install "$dir" --strip >/dev/null
  check_elf_arch "$stage/usr/bin/lifeline" "$arch"
  # As dh_strip does: no compiler-version .comment section either.
  local objcopy=objcopy
  [[ $arch == amd64 ]] || objcopy=$triplet-objcopy
  "$objcopy" --remove-section=.comment "$stage/usr/bin/lifeline"
  [[ -f $stage/usr/share/lifeline/boards/pi4.toml ]] || die "boards not installed"
  # The boards directory compiled in (an optimised build may inline the literal, so read
  # the definition the compiler was given) must be where the boards are installed.
  grep -o 'LIFELINE_BOARDS_DIR=[^ ]*' "$dir/build.ninja" | sort -u |
    grep -qx 'LIFELINE_BOARDS_DIR=\\"/usr/share/lifeline/boards\\"' ||
    die "the binary's LIFELINE_BOARDS_DIR is not /usr/share/lifeline/boards"

  # The systemd units (bookworm still installs units under /lib). lifeline-exclusivity is
  # shipped but never enabled by the maintainer scripts: the operator enables it once the
  # [exclusivity] roles are configured (docs/packaging.md, docs/exclusivity.md).
  local unit
  for unit in lifeline.service lifeline-exclusivity.service; do
    install -D -m 0644 "$ROOT/systemd/$unit" "$stage/lib/systemd/system/$unit"
  done
  # The default configuration: the documented example, every key at its default.
  install -D -m 0644 "$ROOT/docs/examples/lifeline.toml" "$stage/etc/lifeline/lifeline.toml"
  if [[ -n ${LIFELINE_DEB_CONFFILE_NOTE:-} ]]; then
    printf '# %s\n' "$LIFELINE_DEB_CONFFILE_NOTE" >>"$stage/etc/lifeline/lifeline.toml"
  fi
  echo /etc/lifeline/lifeline.toml >"$stage/DEBIAN/conffiles"

  # Documentation: README and docs/ (compressed when larger than 4 KiB, as Debian does,
  # except the files a unit's Documentation= names: README.md, exclusivity.md), examples,
  # man pages.
  local doc=$stage/usr/share/doc/lifeline f
  install -d "$doc/examples"
  install -m 0644 "$ROOT/README.md" "$doc/README.md"
  for f in "$ROOT"/docs/*.md; do
    if (($(stat -c %s "$f") > 4096)) && [[ $(basename "$f") != exclusivity.md ]]; then
      gz "$f" "$doc/$(basename "$f").gz"
    else
      install -m 0644 "$f" "$doc/"
    fi
  done
  install -m 0644 "$ROOT/systemd/app-lockout.conf.example" \
    "$ROOT/systemd/exclusivity-before-app.conf.example" "$doc/examples/"
  gz "$ROOT/docs/examples/lifeline.toml" "$doc/examples/lifeline.toml.gz"
  install -m 0644 "$HERE/debian/copyright" "$doc/copyright"
  # A native package: the changelog is changelog.gz, its top entry this version.
  local date
  date=$(date -R -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)")
  sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date/" "$HERE/debian/changelog.in" |
    gzip -9n >"$doc/changelog.gz"
  install -d "$stage/usr/share/man/man8" "$stage/usr/share/man/man5"
  gz "$ROOT/docs/man/lifeline.8" "$stage/usr/share/man/man8/lifeline.8.gz"
  gz "$ROOT/docs/man/lifeline.toml.5" "$stage/usr/share/man/man5/lifeline.toml.5.gz"

  # Maintainer scripts.
  local s
  for s in postinst prerm postrm; do
    install -m 0755 "$HERE/debian/$s" "$stage/DEBIAN/$s"
  done

  # Depends: from dpkg-shlibdeps (the shlibs/symbols files of the target's libraries,
  # installed through multiarch for a cross build).
  printf 'Source: lifeline\n\nPackage: lifeline\nArchitecture: any\n' >"$work/debian/control"
  # Libraries from the cross overlay (not in dpkg's database): their packages, unpacked
  # with control files under debian/, are searched first (-S) for symbols files.
  local shlibdeps_args=() d
  if [[ $arch != amd64 && -d $overlay.debs ]]; then
    for d in "$overlay.debs"/*.deb; do
      local name
      name=$(dpkg-deb -f "$d" Package)
      dpkg-deb -R "$d" "$work/debian/$name"
      shlibdeps_args+=("-Sdebian/$name")
    done
  fi
  local shlibs
  shlibs=$(cd "$work" && DEB_HOST_ARCH=$arch DEB_HOST_MULTIARCH=$triplet \
    dpkg-shlibdeps "${shlibdeps_args[@]}" -O -e lifeline/usr/bin/lifeline 2>"$work/shlibdeps.log") ||
    { cat "$work/shlibdeps.log" >&2; die "dpkg-shlibdeps failed"; }
  shlibs=${shlibs#shlibs:Depends=}
  [[ -n $shlibs ]] || die "dpkg-shlibdeps found no dependencies"

  local size
  size=$(du -k -s --exclude=DEBIAN "$stage" | cut -f1)
  sed -e "s/@ARCH@/$arch/" -e "s/@VERSION@/$version/" -e "s/@DEPENDS@/$shlibs/" \
    -e "s/@SIZE@/$size/" "$HERE/debian/control.in" >"$stage/DEBIAN/control"
  (cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort |
    xargs md5sum >DEBIAN/md5sums)

  mkdir -p "$out"
  local deb=$out/lifeline_${version}_${arch}.deb
  # Files owned by root whoever builds; dates from the last commit (reproducible).
  SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s) \
    dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  echo "$deb"
}

case ${1:-} in
  compile)
    [[ $# -ge 2 ]] || die "usage: build.sh compile ARCH [BUILD_DIR] [--tests]"
    arch=$2
    dir=${3:-$(default_build_dir "$arch")}
    tests=0
    [[ ${4:-} == --tests ]] && tests=1
    compile "$arch" "$dir" "$tests"
    ;;
  deb)
    [[ $# -ge 2 ]] || die "usage: build.sh deb ARCH [OUT_DIR]"
    deb "$2" "${3:-}"
    ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
