# `cmake --install`: headers, libraries, the CLI, the core launcher and the
# firmware images in the GNU install directories, a CMake package
# (find_package(Tandem): one imported target per core layer, Tandem::host,
# ...) and pkg-config files. The package files are written by hand
# (cmake/package/): the layers are OBJECT libraries archived into one
# libtandem_core.a, so each installed layer target is that archive plus the
# one include root, which an exported OBJECT target set could not express.
#
# Layout (prefix-relative):
#   include/tandem/<layer|host|hosted|linux|simulated_board>/*.h
#   include/tandem/c/*.h                     the C API (core/capi, host/include)
#   lib/libtandem_core.a                     the freestanding core (every layer)
#   lib/libtandem_{hosted,linux,host}.a      the Linux host runtime
#   lib/libtandem_linux_launcher_installed.a where the launcher is (below)
#   lib/cmake/Tandem/                        TandemConfig.cmake, version file
#   lib/pkgconfig/tandem.pc, tandem-core.pc, tandem-c.pc (C programs: the
#                                            host runtime and its C API)
#   bin/tandem                               the CLI
#   libexec/tandem/tandem-core               the simulated core's launcher
#   share/tandem/firmware/*.elf              demo, faulty, selftest images
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TANDEM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tandem)

# Headers of the core layers.
get_property(tandem_core_include_dirs GLOBAL PROPERTY TANDEM_CORE_INCLUDE_DIRS)
foreach(dir IN LISTS tandem_core_include_dirs)
  install(DIRECTORY ${dir}/tandem DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT core
          FILES_MATCHING PATTERN "*.h")
endforeach()
install(TARGETS tandem_core ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT core)

set(TANDEM_PACKAGE_HAS_HOST OFF)
if(NOT TANDEM_CORE_ONLY)
  set(TANDEM_PACKAGE_HAS_HOST ON)
  # host/platform_api: HostPlatform and CoreExit, header only (tandem/host/
  # in the installed tree, beside session.h).
  foreach(dir host/include host/platform_api/include platform/hosted/include client/include
              platform/linux/include platform/simulated_board/include)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/tandem
            DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT host FILES_MATCHING PATTERN "*.h")
  endforeach()
  install(TARGETS tandem_hosted tandem_linux tandem_host tandem_linux_launcher_installed tandem_client
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT host)
  install(TARGETS tandem_for_install tandemd_for_install RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT host)
  # tandemd as a systemd user service (systemctl --user enable --now tandemd).
  configure_file(${PROJECT_SOURCE_DIR}/tools/tandemd/tandemd.service.in
                 ${PROJECT_BINARY_DIR}/tandemd.service @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/tandemd.service
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/systemd/user COMPONENT host)
  install(TARGETS tandem-core RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/tandem
          COMPONENT host)
  foreach(image fw_demo fw_faulty fw_selftest fw_c_echo)
    if(TARGET ${image})
      install(PROGRAMS $<TARGET_FILE:${image}>
              DESTINATION ${CMAKE_INSTALL_DATADIR}/tandem/firmware COMPONENT host)
    endif()
  endforeach()
endif()

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/package/TandemConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/package/TandemConfig.cmake
                              INSTALL_DESTINATION ${TANDEM_INSTALL_CMAKEDIR}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR
                                        CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBEXECDIR
                                        CMAKE_INSTALL_DATADIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/TandemConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/TandemConfig.cmake
              ${PROJECT_BINARY_DIR}/package/TandemConfigVersion.cmake
        DESTINATION ${TANDEM_INSTALL_CMAKEDIR} COMPONENT core)

# pkg-config: tandem-core (the freestanding core), tandem (the host) and
# tandem-c (the host for C programs),
# relocatable: the prefix is found from the .pc file's own directory.
file(RELATIVE_PATH TANDEM_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" TANDEM_PC_TO_PREFIX "${TANDEM_PC_TO_PREFIX}")
foreach(pc tandem-core tandem tandem-c)
  if(pc MATCHES "^tandem(-c)?$" AND NOT TANDEM_PACKAGE_HAS_HOST)
    continue()
  endif()
  configure_file(${PROJECT_SOURCE_DIR}/cmake/package/${pc}.pc.in
                 ${PROJECT_BINARY_DIR}/package/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/package/${pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT core)
endforeach()

# A Debian package of the same install: `cpack -G DEB --config
# build/default/CPackConfig.cmake` (run from the build directory) writes
# tandem_<version>_<arch>.deb.
if(NOT TANDEM_CORE_ONLY)
  set(CPACK_PACKAGE_NAME tandem)
  set(CPACK_PACKAGE_VENDOR "Tandem")
  set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "remoteproc, VirtIO and RPMsg for AMP systems (C++20)")
  set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
  set(CPACK_PACKAGE_CONTACT "Tandem developers")
  set(CPACK_GENERATOR DEB)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS OFF)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libstdc++6, libc6")
  set(CPACK_DEBIAN_PACKAGE_SECTION devel)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
  include(CPack)
endif()
