# Cross-compiling for 64-bit Raspberry Pi OS / Debian arm64 with Debian's
# crossbuild-essential-arm64 and the :arm64 -dev packages (multiarch).
# Used by ./dev cross and ./dev deb (tests/package/build.sh, docs/packaging.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# pkg-config must look only at the target's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Unit tests run under user-mode emulation with the multiarch runtime (libc6:ARCH, its
# loader in /lib): never -L /usr/aarch64-linux-gnu, whose loader is another glibc build than
# the libc.so.6 that ld.so.cache finds, which breaks pthread_create
# (tests/package/cross-unit.sh).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)

# A target library that multiarch cannot co-install (a mirror's index missing for one
# architecture leaves a version skew with the host's copy) may be unpacked with dpkg-deb -x
# into an overlay root instead: -DLIFELINE_CROSS_OVERLAY=DIR (tests/package/dev-package.sh).
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LIFELINE_CROSS_OVERLAY)
if(LIFELINE_CROSS_OVERLAY)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${LIFELINE_CROSS_OVERLAY})
  set(ENV{PKG_CONFIG_LIBDIR}
      "${LIFELINE_CROSS_OVERLAY}/usr/lib/aarch64-linux-gnu/pkgconfig:$ENV{PKG_CONFIG_LIBDIR}")
  set(_overlay_libs "${LIFELINE_CROSS_OVERLAY}/usr/lib/aarch64-linux-gnu:${LIFELINE_CROSS_OVERLAY}/lib/aarch64-linux-gnu")
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${_overlay_libs}")
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-E;LD_LIBRARY_PATH=${_overlay_libs})
endif()
