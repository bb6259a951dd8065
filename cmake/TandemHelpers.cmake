include_guard(GLOBAL)

set(TANDEM_WARNINGS -Wall -Wextra -Wshadow $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor> -Wno-missing-field-initializers)
# Clang checks the lock annotations (base/thread_annotations.h): state
# declared TANDEM_GUARDED_BY a lock, functions that TANDEM_REQUIRES one. GCC
# has no such analysis; the clang stage (the tsan preset) builds with it.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND TANDEM_WARNINGS -Wthread-safety)
endif()
if(TANDEM_WERROR)
  list(APPEND TANDEM_WARNINGS -Werror)
endif()

# tandem_add_layer(<name> SOURCES ... [DEPS <layer>...])
# One layer of the freestanding core (docs/architecture.md): the OBJECT
# library tandem_<name> compiled from core/<name>/ with -fno-exceptions
# -fno-rtti, whose include root is core/<name>/include. It sees the headers
# of the layers named in DEPS (and theirs), nothing else: an include of a
# layer above it, or of one it did not declare, fails to compile. Every
# public header is also compiled alone (tandem_<name>_headers), so a header
# that no source of its layer includes is held to the same rule and must be
# self-contained. The aggregate tandem_core archives every layer.
function(tandem_add_layer name)
  cmake_parse_arguments(L "" "" "SOURCES;DEPS" ${ARGN})
  set(target tandem_${name})
  set(include_dir ${CMAKE_CURRENT_SOURCE_DIR}/include)
  add_library(${target} OBJECT ${L_SOURCES})
  target_include_directories(${target} PUBLIC ${include_dir})
  target_compile_options(${target} PRIVATE ${TANDEM_WARNINGS} -fno-exceptions -fno-rtti)
  foreach(dep IN LISTS L_DEPS)
    if(NOT TARGET tandem_${dep})
      message(FATAL_ERROR "layer ${name}: DEPS ${dep} is not a layer defined below it")
    endif()
    target_link_libraries(${target} PUBLIC tandem_${dep})
  endforeach()

  file(GLOB headers RELATIVE ${include_dir} CONFIGURE_DEPENDS ${include_dir}/tandem/${name}/*.h)
  set(checks "")
  foreach(header IN LISTS headers)
    get_filename_component(stem ${header} NAME_WE)
    set(check ${CMAKE_CURRENT_BINARY_DIR}/header_check/${stem}.cc)
    file(CONFIGURE OUTPUT ${check} CONTENT "#include \"${header}\"  // compiles alone\n")
    list(APPEND checks ${check})
  endforeach()
  if(checks)
    add_library(${target}_headers OBJECT ${checks})
    target_link_libraries(${target}_headers PRIVATE ${target})
    target_compile_options(${target}_headers PRIVATE ${TANDEM_WARNINGS} -fno-exceptions -fno-rtti)
  endif()

  list(TRANSFORM L_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/)
  set_property(GLOBAL APPEND PROPERTY TANDEM_CORE_LAYERS ${target})
  set_property(GLOBAL APPEND PROPERTY TANDEM_CORE_SOURCES ${L_SOURCES})
  set_property(GLOBAL APPEND PROPERTY TANDEM_CORE_INCLUDE_DIRS ${include_dir})
endfunction()

# TANDEM_CAN_REPLACE_NEW: whether a test binary may replace operator
# new/delete (the no_alloc tests poison them). Not with clang's TSan, whose
# runtime is linked statically and defines them itself: its allocator would
# win and the poison would never fire, a test that cannot fail. The default
# and asan builds (GCC, shared sanitizer runtimes) run them.
set(TANDEM_CAN_REPLACE_NEW ON)
if(TANDEM_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(TANDEM_CAN_REPLACE_NEW OFF)
endif()

# tandem_add_test(<name> SOURCES ... [LIBS ...] [LABELS ...])
# One GoogleTest executable; every TEST becomes a CTest test (discovered when
# ctest runs, so building never executes test binaries).
function(tandem_add_test name)
  if(TANDEM_CORE_ONLY)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_compile_options(${name} PRIVATE ${TANDEM_WARNINGS})
  target_link_libraries(${name} PRIVATE tandem_core tandem_testing GTest::gtest_main GTest::gmock
                        Threads::Threads ${T_LIBS})
  include(GoogleTest)
  set(labels unit)
  if(T_LABELS)
    set(labels ${T_LABELS})
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS "${labels}" TIMEOUT 120)
endfunction()

# tandem_add_fuzzer(<name> SOURCES ...)
# With TANDEM_FUZZ: a libFuzzer binary fuzz_<name>. Always: a CTest
# regression test (label "unit") that replays tests/fuzz/corpus/<name>/* and
# a deterministic batch of pseudo-random inputs through the same entry
# point, so every harness is built and exercised in the default suite.
function(tandem_add_fuzzer name)
  if(TANDEM_CORE_ONLY)
    return()
  endif()
  cmake_parse_arguments(F "" "" "SOURCES;LIBS" ${ARGN})
  if(TANDEM_FUZZ)
    add_executable(fuzz_${name} ${F_SOURCES})
    target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${name} PRIVATE tandem_core tandem_testing ${F_LIBS})
    set_property(GLOBAL APPEND PROPERTY TANDEM_FUZZERS fuzz_${name})
  endif()
  add_executable(fuzz_replay_${name} ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
  target_link_libraries(fuzz_replay_${name} PRIVATE tandem_core tandem_testing ${F_LIBS})
  add_test(NAME fuzz_replay.${name}
           COMMAND fuzz_replay_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()
