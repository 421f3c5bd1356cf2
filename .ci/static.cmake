# NEON_STATIC=ON: one fully static kubectl-neon (`file` says "statically linked"). .ci/build-static
# builds curl and libgit2 from Debian's source packages into NEON_STATIC_CURL and
# NEON_STATIC_LIBGIT2 and puts cpp-httplib's single header in NEON_STATIC_HTTPLIB; the rest are
# Debian's static archives (NEON_STATIC_LIBDIRS adds folders to look in), and fmt is used
# header-only. This file defines the same imported
# targets the dynamic build gets from find_package/pkg-config, so plugin/ and generators/ link
# them unchanged. Included from the top-level CMakeLists.txt instead of those lookups.
#
# Name resolution needs no NSS module: since glibc 2.34 the "files" and "dns" services are part of
# libc itself, so a static getaddrinfo() reads /etc/hosts and asks the servers of /etc/resolv.conf
# without loading any libnss_*.so (ld still warns that getaddrinfo "requires at runtime the shared
# libraries from the glibc version used for linking": that is only for other services, such as
# mdns or systemd-resolved, named in nsswitch.conf). tests/release/chroot.sh proves it: in a chroot
# holding no library, `status` reaches its controller through a name found only in the chroot's
# /etc/hosts.
foreach(var NEON_STATIC_CURL NEON_STATIC_LIBGIT2 NEON_STATIC_HTTPLIB)
  if(NOT EXISTS "${${var}}")
    message(FATAL_ERROR "NEON_STATIC needs ${var} (.ci/build-static sets it)")
  endif()
endforeach()

set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL 3 REQUIRED)
find_package(Threads REQUIRED)
find_package(cxxopts 3 CONFIG REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)
foreach(lib z nghttp2 ssh2 http_parser yaml-cpp)
  string(MAKE_C_IDENTIFIER "NEON_A_${lib}" var)
  find_library(${var} lib${lib}.a HINTS ${NEON_STATIC_LIBDIRS} REQUIRED)
endforeach()

add_library(fmt::fmt INTERFACE IMPORTED)
set_target_properties(fmt::fmt PROPERTIES INTERFACE_COMPILE_DEFINITIONS FMT_HEADER_ONLY=1)

add_library(yaml-cpp STATIC IMPORTED)
set_target_properties(yaml-cpp PROPERTIES IMPORTED_LOCATION ${NEON_A_yaml_cpp})

add_library(CURL::libcurl INTERFACE IMPORTED)
set_target_properties(CURL::libcurl PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${NEON_STATIC_CURL}/include
  INTERFACE_COMPILE_DEFINITIONS CURL_STATICLIB
  INTERFACE_LINK_LIBRARIES "${NEON_STATIC_CURL}/lib/libcurl.a;${NEON_A_nghttp2};OpenSSL::SSL;OpenSSL::Crypto;${NEON_A_z};Threads::Threads")

add_library(PkgConfig::LIBGIT2 INTERFACE IMPORTED)
set_target_properties(PkgConfig::LIBGIT2 PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${NEON_STATIC_LIBGIT2}/include
  INTERFACE_LINK_LIBRARIES "${NEON_STATIC_LIBGIT2}/lib/libgit2.a;${NEON_A_ssh2};${NEON_A_http_parser};OpenSSL::SSL;OpenSSL::Crypto;${NEON_A_z};Threads::Threads")

# The program serves plain HTTP with cpp-httplib (the hook) and talks HTTPS only through libcurl,
# so httplib goes without CPPHTTPLIB_OPENSSL_SUPPORT: with it, a static object in its header
# initialises OpenSSL (reading openssl.cnf) when the program starts, whatever the command.
add_library(PkgConfig::HTTPLIB INTERFACE IMPORTED)
set_target_properties(PkgConfig::HTTPLIB PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES ${NEON_STATIC_HTTPLIB}
  INTERFACE_COMPILE_DEFINITIONS CPPHTTPLIB_ZLIB_SUPPORT
  INTERFACE_LINK_LIBRARIES "${NEON_A_z};Threads::Threads")

# `kubectl neon version -o json` reports "static": true.
add_compile_definitions(NEON_STATIC_BUILD=1)
set(CMAKE_EXE_LINKER_FLAGS "${CMAKE_EXE_LINKER_FLAGS} -static")
