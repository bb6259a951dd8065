include_guard(GLOBAL)
# Firmware images for the Linux simulated core (docs/architecture.md decision 8).
#
#   tandem_add_firmware(<name> SOURCES ... [LINKER_SCRIPT <file>] [LIBS ...] [NO_CORE])
#
# SOURCES may be C++ or C (a C image links tandem_fw_c_image, the board's C
# glue, and defines tandem_firmware_main(); firmware/c_echo).
# builds the target fw_<name>, a freestanding, statically linked, non-PIE
# x86-64 ELF written to ${CMAKE_BINARY_DIR}/firmware/<name>.elf, linked at
# fixed device addresses by platform/simulated_board/firmware.ld (or
# LINKER_SCRIPT). The image gets the simulated board's C runtime (_start,
# mem*) and Print and, unless NO_CORE, the firmware copy of the core, tandem_core_fw.
# Use $<TARGET_FILE:fw_<name>> to find the ELF from tests and tools.
#
# Firmware is never sanitized and never links tandem_core: the host build
# may add -fsanitize= at directory scope (TANDEM_SANITIZE), and a sanitizer
# runtime cannot exist in an image that a launcher jumps into at a fixed
# address. firmware/CMakeLists.txt clears the directory's COMPILE_OPTIONS and
# LINK_OPTIONS before using this module; tandem_core_fw is the core compiled
# again from tandem_core's SOURCES with the flags below.

# Compile flags of everything that goes into an image.
#  -ffreestanding ... -nostdlib: no libc, no crt0; the runtime provides the rest.
#  -fno-pic -fno-pie: linked at fixed device addresses, no GOT/PLT.
#  -fno-stack-protector: there is no __stack_chk_guard (it would live in
#    the launcher's TLS, which the image must not touch).
#  -fno-asynchronous-unwind-tables -fno-unwind-tables: nothing unwinds.
#  -fno-threadsafe-statics: no __cxa_guard_* (single-threaded image).
#  -ffunction-sections -fdata-sections: with --gc-sections, only what is
#    used of the core ends up in the image.
set(TANDEM_FIRMWARE_COMPILE_FLAGS
    -ffreestanding -fno-exceptions -fno-rtti -fno-pic -fno-pie -fno-stack-protector
    -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-threadsafe-statics
    -ffunction-sections -fdata-sections)

# The same for targets that may hold C sources too (C images): the C++-only
# flags only where they apply.
set(TANDEM_FIRMWARE_CXX_ONLY_FLAGS -fno-exceptions -fno-rtti -fno-threadsafe-statics)
set(TANDEM_FIRMWARE_TARGET_FLAGS ${TANDEM_FIRMWARE_COMPILE_FLAGS})
list(REMOVE_ITEM TANDEM_FIRMWARE_TARGET_FLAGS ${TANDEM_FIRMWARE_CXX_ONLY_FLAGS})
list(APPEND TANDEM_FIRMWARE_TARGET_FLAGS
     "$<$<COMPILE_LANGUAGE:CXX>:${TANDEM_FIRMWARE_CXX_ONLY_FLAGS}>")

set(TANDEM_FIRMWARE_LINKER_SCRIPT ${PROJECT_SOURCE_DIR}/platform/simulated_board/firmware.ld)

# libgcc.a supplies the few compiler helpers a freestanding image may need
# (e.g. 128-bit division); it has no OS dependencies.
execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-libgcc-file-name
                OUTPUT_VARIABLE TANDEM_FIRMWARE_LIBGCC OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE _tandem_libgcc_result)
if(NOT _tandem_libgcc_result EQUAL 0 OR NOT EXISTS "${TANDEM_FIRMWARE_LIBGCC}")
  set(TANDEM_FIRMWARE_LIBGCC "")
endif()

function(tandem_add_firmware name)
  cmake_parse_arguments(FW "NO_CORE" "LINKER_SCRIPT" "SOURCES;LIBS" ${ARGN})
  if(NOT FW_SOURCES)
    message(FATAL_ERROR "tandem_add_firmware(${name}): SOURCES is required")
  endif()
  set(script ${TANDEM_FIRMWARE_LINKER_SCRIPT})
  if(FW_LINKER_SCRIPT)
    get_filename_component(script ${FW_LINKER_SCRIPT} ABSOLUTE)
  endif()

  set(target fw_${name})
  add_executable(${target} ${FW_SOURCES} $<TARGET_OBJECTS:tandem_fw_runtime>)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${name}
    SUFFIX ".elf"
    POSITION_INDEPENDENT_CODE OFF
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/firmware
    LINK_DEPENDS ${script})
  target_compile_options(${target} PRIVATE ${TANDEM_WARNINGS} ${TANDEM_FIRMWARE_TARGET_FLAGS})
  # C sources (C images, firmware/c_echo): C11, freestanding like the rest.
  set_target_properties(${target} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
  get_property(core_include_dirs GLOBAL PROPERTY TANDEM_CORE_INCLUDE_DIRS)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/platform/simulated_board/include
                                               ${PROJECT_SOURCE_DIR}/remote/include
                                               ${core_include_dirs})
  # -static -no-pie -nostdlib: a self-contained image, nothing of the host.
  # --build-id=none: no .note section to place. max-page-size=4096: segments
  # packed into the 1 MiB carve-out instead of 2 MiB-aligned.
  # (clang makes a -static link non-PIE by itself and warns about -no-pie.)
  target_link_options(${target} PRIVATE
    -nostdlib -static $<$<CXX_COMPILER_ID:GNU>:-no-pie> -T ${script}
    -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack)
  set(libs ${FW_LIBS})
  if(NOT FW_NO_CORE)
    list(APPEND libs tandem_core_fw)
  endif()
  if(TANDEM_FIRMWARE_LIBGCC)
    list(APPEND libs ${TANDEM_FIRMWARE_LIBGCC})
  endif()
  target_link_libraries(${target} PRIVATE ${libs})
  set_property(GLOBAL APPEND PROPERTY TANDEM_FIRMWARE_TARGETS ${target})
endfunction()
