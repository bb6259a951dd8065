# Cross toolchain for a bare-metal Cortex-M (M0+, M3, M4F, M7) (Debian: gcc-arm-none-eabi,
# libstdc++-arm-none-eabi-newlib, binutils-arm-none-eabi).
#
# Used by the cortex-m* presets together with TANDEM_CORE_ONLY=ON: the core is
# compiled for a 32-bit target (size_t is 32 bits there) and linked into a
# bare-metal image by platform/cortex_m.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TANDEM_ARM_PREFIX arm-none-eabi- CACHE STRING "Prefix of the bare-metal ARM tools")

set(CMAKE_C_COMPILER ${TANDEM_ARM_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${TANDEM_ARM_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${TANDEM_ARM_PREFIX}gcc)
set(CMAKE_AR ${TANDEM_ARM_PREFIX}ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${TANDEM_ARM_PREFIX}ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${TANDEM_ARM_PREFIX}objcopy CACHE FILEPATH "")
set(CMAKE_SIZE ${TANDEM_ARM_PREFIX}size CACHE FILEPATH "")

# Compiler checks cannot link an executable without a start-up file and a
# linker script; a static library is enough to know the compiler works.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# The CPU: cortex-m0plus, cortex-m3, cortex-m4 (default: single-precision
# FPU, hard-float ABI) or cortex-m7 (double-precision FPU). -Os because flash
# is what a remote core is short of; sections per function/object so that
# --gc-sections drops what the image does not use.
set(TANDEM_CORTEX_M_CPU cortex-m4 CACHE STRING "Cortex-M CPU: cortex-m0plus, cortex-m3, cortex-m4, cortex-m7")
if(TANDEM_CORTEX_M_CPU STREQUAL "cortex-m4")
  set(tandem_fpu "-mfloat-abi=hard -mfpu=fpv4-sp-d16")
elseif(TANDEM_CORTEX_M_CPU STREQUAL "cortex-m7")
  set(tandem_fpu "-mfloat-abi=hard -mfpu=fpv5-d16")
elseif(TANDEM_CORTEX_M_CPU MATCHES "^cortex-m(0plus|3)$")
  set(tandem_fpu "-mfloat-abi=soft")
else()
  message(FATAL_ERROR "TANDEM_CORTEX_M_CPU: unknown CPU '${TANDEM_CORTEX_M_CPU}'")
endif()
set(TANDEM_CORTEX_M_FLAGS
    "-mcpu=${TANDEM_CORTEX_M_CPU} -mthumb ${tandem_fpu} -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${TANDEM_CORTEX_M_FLAGS} -Os")
# -Wno-psabi: GCC notes that passing std::span by value changed ABI in GCC
# 7.1; everything here is built by one compiler, so the note is only noise.
set(CMAKE_CXX_FLAGS_INIT "${TANDEM_CORTEX_M_FLAGS} -Os -fno-exceptions -fno-rtti -Wno-psabi")
set(CMAKE_ASM_FLAGS_INIT "${TANDEM_CORTEX_M_FLAGS}")
# The cortex-m4 preset uses MinSizeRel, whose flags (-Os -DNDEBUG) agree;
# NDEBUG changes nothing here, TANDEM_ASSERT stays on.

# Never pick up host libraries or headers.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
