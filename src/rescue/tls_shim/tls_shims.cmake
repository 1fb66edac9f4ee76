# The OpenSSL 3 shims for CivetWeb's HTTPS (rescue/civetweb_tls.cpp explains why). They
# are built as tiny shared libraries and embedded as bytes in lifeline_core, which loads
# them from memory, so the package ships no extra files.
set(_shim_dir ${CMAKE_CURRENT_LIST_DIR})

# Link-time stand-ins carrying the sonames libssl.so.3 and libcrypto.so.3: the shims then
# record those dependencies without the target's OpenSSL being present (cross builds).
foreach(_name ssl crypto)
  add_library(lifeline_stand_in_${_name} SHARED ${_shim_dir}/no_symbols.c)
  set_target_properties(lifeline_stand_in_${_name} PROPERTIES NO_SONAME ON
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tls_shim/stand_in_${_name})
  target_link_options(lifeline_stand_in_${_name} PRIVATE -Wl,-soname,lib${_name}.so.3)
endforeach()

# CivetWeb dlopen()s "libcrypto.so" and "libssl.so": the shims carry exactly these sonames.
add_library(lifeline_shim_libssl SHARED ${_shim_dir}/openssl11_names.c)
add_library(lifeline_shim_libcrypto SHARED ${_shim_dir}/no_symbols.c)
# No RELRO segment (-z norelro): binutils 2.40 pads the end of RELRO to the target's
# maximum page size, 64 KiB on arm64, so each embedded shim grew from 4 KB to 66 KB of
# mostly zeros in lifeline's locked memory (rescue_tls_test fails above 64 KiB). Keeping
# RELRO with a 4 KiB or 16 KiB max page size instead would break loading on a kernel with
# larger pages (the Pi 5's runs 16 KiB). What RELRO would protect here is the one GOT slot
# of SSL_get1_peer_certificate (openssl11_names.c) and the dynamic section.
foreach(_name ssl crypto)
  set_target_properties(lifeline_shim_lib${_name} PROPERTIES NO_SONAME ON
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tls_shim)
  target_link_options(lifeline_shim_lib${_name} PRIVATE -s -Wl,-z,noseparate-code -Wl,-z,norelro
                      -Wl,-soname,lib${_name}.so -Wl,--no-as-needed)
endforeach()
target_link_libraries(lifeline_shim_libssl PRIVATE lifeline_stand_in_ssl)
target_link_libraries(lifeline_shim_libcrypto PRIVATE lifeline_stand_in_crypto)

set(_embedded ${CMAKE_BINARY_DIR}/generated/tls_shim_bytes.cpp)
add_custom_command(OUTPUT ${_embedded}
  COMMAND ${CMAKE_COMMAND} -DSSL_SHIM=$<TARGET_FILE:lifeline_shim_libssl>
          -DCRYPTO_SHIM=$<TARGET_FILE:lifeline_shim_libcrypto> -DOUT=${_embedded}
          -P ${_shim_dir}/embed_shims.cmake
  DEPENDS lifeline_shim_libssl lifeline_shim_libcrypto ${_shim_dir}/embed_shims.cmake
  COMMENT "Embedding the OpenSSL 3 shims for CivetWeb")
target_sources(lifeline_core PRIVATE ${_embedded})
