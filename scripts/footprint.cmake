# Footprint report of the remote side on a Cortex-M (docs/footprint.md),
# run with `cmake -P` by platform/cortex_m's cortex_m_size target and its
# footprint test. Fails when the small configuration (tiny::Remote) is over
# its budget.
#
#   cmake -DSIZE=arm-none-eabi-size -DCPU=cortex-m4
#         -DBASELINE=tandem_tiny_baseline_m4.elf -DTINY=tandem_tiny_echo_m4.elf
#         -DRICH=tandem_remote_min_m4.elf -DMODULES=modules.txt
#         -DFLASH_BUDGET=2560 -DRAM_BUDGET=352 -P scripts/footprint.cmake
#
# Method (measured, not estimated):
#  * the tiny configuration = the echo image minus the baseline image: the
#    same start-up, resource table and main loop, with and without the tiny
#    remote (platform/cortex_m/tiny_echo_main.cc), both linked with
#    --gc-sections. flash = text + data, static RAM = data + bss. The vrings
#    and buffers live in shared memory the host places: in neither image.
#  * the rich configuration = the smallest rich remote (RemoteLink +
#    RemoteBus, one echo endpoint: remote_min_main.cc) minus the same
#    baseline (its table is 4 bytes larger).
#  * per module: the layer's objects as compiled (-Os, -ffunction-sections,
#    before the link drops what a firmware does not call): what the whole
#    layer would cost, an upper bound.
# MODULES is a file of lines "name|object;object;...".

foreach(var SIZE CPU BASELINE TINY RICH MODULES FLASH_BUDGET RAM_BUDGET)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "footprint.cmake: -D${var}=... missing")
  endif()
endforeach()

# Sets <prefix>_TEXT, _DATA, _BSS from the last line of `size` (berkeley
# format; with -t the last line is the total).
function(read_size prefix)
  execute_process(COMMAND ${SIZE} ${ARGN} OUTPUT_VARIABLE out RESULT_VARIABLE rc
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "footprint.cmake: ${SIZE} ${ARGN} failed: ${err}")
  endif()
  string(STRIP "${out}" out)
  string(REGEX REPLACE ".*\n" "" last "${out}")
  string(REGEX MATCH "^[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)" m "${last}")
  if(NOT m)
    message(FATAL_ERROR "footprint.cmake: cannot read `${last}`")
  endif()
  set(${prefix}_TEXT ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(${prefix}_DATA ${CMAKE_MATCH_2} PARENT_SCOPE)
  set(${prefix}_BSS ${CMAKE_MATCH_3} PARENT_SCOPE)
endfunction()

function(row name flash ram)
  string(LENGTH "${name}" n)
  math(EXPR pad "44 - ${n}")
  if(pad LESS 1)
    set(pad 1)
  endif()
  string(REPEAT " " ${pad} spaces)
  message("  ${name}${spaces}${flash} B flash  ${ram} B RAM")
endfunction()

message("== footprint of the remote side, ${CPU}, -Os (docs/footprint.md) ==")
message("per module (objects as compiled, before --gc-sections):")
file(STRINGS ${MODULES} lines)
foreach(line IN LISTS lines)
  string(REPLACE "|" ";" parts "${line}")
  list(GET parts 0 name)
  list(SUBLIST parts 1 -1 objects)
  read_size(M -t ${objects})
  math(EXPR flash "${M_TEXT} + ${M_DATA}")
  math(EXPR ram "${M_DATA} + ${M_BSS}")
  row("${name}" ${flash} ${ram})
endforeach()

read_size(B ${BASELINE})
read_size(T ${TINY})
read_size(R ${RICH})
math(EXPR tiny_flash "(${T_TEXT} + ${T_DATA}) - (${B_TEXT} + ${B_DATA})")
math(EXPR tiny_ram "(${T_DATA} + ${T_BSS}) - (${B_DATA} + ${B_BSS})")
math(EXPR rich_flash "(${R_TEXT} + ${R_DATA}) - (${B_TEXT} + ${B_DATA})")
math(EXPR rich_ram "(${R_DATA} + ${R_BSS}) - (${B_DATA} + ${B_BSS})")
message("linked configurations (image minus the baseline image, --gc-sections):")
row("tiny: tiny::Remote<1> + echo endpoint" ${tiny_flash} ${tiny_ram})
row("rich: RemoteLink + RemoteBus + echo endpoint" ${rich_flash} ${rich_ram})
message("budget of the tiny configuration: ${FLASH_BUDGET} B flash, ${RAM_BUDGET} B RAM "
        "(RPMsg-Lite static remote: 2926 B / 352 B)")
if(tiny_flash GREATER FLASH_BUDGET OR tiny_ram GREATER RAM_BUDGET)
  message(FATAL_ERROR "footprint: the tiny configuration is over budget on ${CPU}: "
                      "${tiny_flash} B flash (budget ${FLASH_BUDGET}), "
                      "${tiny_ram} B RAM (budget ${RAM_BUDGET})")
endif()
message("footprint: within budget")
