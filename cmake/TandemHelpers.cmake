include_guard(GLOBAL)

set(TANDEM_WARNINGS -Wall -Wextra -Wshadow $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor> -Wno-missing-field-initializers)
if(TANDEM_WERROR)
  list(APPEND TANDEM_WARNINGS -Werror)
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
  target_link_libraries(${name} PRIVATE tandem_core tandem_test_support GTest::gtest_main GTest::gmock
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
    target_link_libraries(fuzz_${name} PRIVATE tandem_core tandem_test_support ${F_LIBS})
    set_property(GLOBAL APPEND PROPERTY TANDEM_FUZZERS fuzz_${name})
  endif()
  add_executable(fuzz_replay_${name} ${F_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
  target_link_libraries(fuzz_replay_${name} PRIVATE tandem_core tandem_test_support ${F_LIBS})
  add_test(NAME fuzz_replay.${name}
           COMMAND fuzz_replay_${name} ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()
