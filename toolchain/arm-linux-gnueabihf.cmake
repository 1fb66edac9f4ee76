# Cross-compiling for 32-bit Raspberry Pi OS / Debian armhf with Debian's
# crossbuild-essential-armhf and the :armhf -dev packages (multiarch). armhf is where
# 32-bit time_t/size_t and alignment bugs show.
# Used by ./dev cross and ./dev deb (tests/package/build.sh, docs/packaging.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/arm-linux-gnueabihf/pkgconfig:/usr/share/pkgconfig")
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_LIBRARY_ARCHITECTURE arm-linux-gnueabihf)
# Unit tests run under user-mode emulation with the multiarch runtime (libc6:ARCH, its
# loader in /lib): never -L /usr/arm-linux-gnueabihf, whose loader is another glibc build than
# the libc.so.6 that ld.so.cache finds, which breaks pthread_create
# (tests/package/cross-unit.sh).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm)

# A target library that multiarch cannot co-install (a mirror's index missing for one
# architecture leaves a version skew with the host's copy) may be unpacked with dpkg-deb -x
# into an overlay root instead: -DLIFELINE_CROSS_OVERLAY=DIR (tests/package/dev-package.sh).
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LIFELINE_CROSS_OVERLAY)
if(LIFELINE_CROSS_OVERLAY)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${LIFELINE_CROSS_OVERLAY})
  set(ENV{PKG_CONFIG_LIBDIR}
      "${LIFELINE_CROSS_OVERLAY}/usr/lib/arm-linux-gnueabihf/pkgconfig:$ENV{PKG_CONFIG_LIBDIR}")
  set(_overlay_libs "${LIFELINE_CROSS_OVERLAY}/usr/lib/arm-linux-gnueabihf:${LIFELINE_CROSS_OVERLAY}/lib/arm-linux-gnueabihf")
  string(APPEND CMAKE_EXE_LINKER_FLAGS_INIT " -Wl,-rpath-link,${_overlay_libs}")
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm;-E;LD_LIBRARY_PATH=${_overlay_libs})
endif()
