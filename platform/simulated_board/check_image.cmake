# Checks a built firmware image against the memory map the host relies on
# (tandem/simulated_board/memory_map.h, firmware.ld). Run as a CTest script:
#
#   cmake -DELF=<image.elf> -DREADELF=<readelf> [-DTRACE=ON] -P check_image.cmake
#
#  * the ELF has a .resource_table section (what remoteproc looks up);
#  * every PT_LOAD segment lies inside 0x10000000..0x100F8000 (the image
#    carve-out minus the trace buffer), with p_paddr == p_vaddr (the loader
#    places segments at p_paddr, the code runs at p_vaddr);
#  * with TRACE: the .trace section is exactly 0x100F8000 + 0x8000, where the
#    resource table's trace entry points.

if(NOT ELF OR NOT EXISTS "${ELF}")
  message(FATAL_ERROR "check_image: no image at '${ELF}' (build it first)")
endif()
if(NOT READELF)
  set(READELF readelf)
endif()

set(image_begin 268435456)  # 0x10000000
set(image_end 269451264)    # 0x100F8000: the trace buffer starts here

function(hex_to_dec hex out)
  string(REGEX REPLACE "^0x" "" hex "${hex}")
  string(TOUPPER "${hex}" hex)
  math(EXPR value "0x${hex}" OUTPUT_FORMAT DECIMAL)
  set(${out} ${value} PARENT_SCOPE)
endfunction()

execute_process(COMMAND ${READELF} -SW "${ELF}" OUTPUT_VARIABLE sections RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_image: readelf -S failed on ${ELF}")
endif()
if(NOT sections MATCHES "\\.resource_table")
  message(FATAL_ERROR "check_image: ${ELF} has no .resource_table section")
endif()

if(TRACE)
  # "[ 7] .trace  NOBITS  00000000100f8000 000000 008000 ..."
  if(NOT sections MATCHES "\\.trace +NOBITS +0*([0-9a-fA-F]+) +[0-9a-fA-F]+ +0*([0-9a-fA-F]+)")
    message(FATAL_ERROR "check_image: ${ELF} has no NOBITS .trace section")
  endif()
  hex_to_dec("${CMAKE_MATCH_1}" trace_addr)
  hex_to_dec("${CMAKE_MATCH_2}" trace_size)
  if(NOT trace_addr EQUAL image_end OR NOT trace_size EQUAL 32768)
    message(FATAL_ERROR "check_image: .trace at ${trace_addr} size ${trace_size}, "
                        "expected 0x100F8000 size 0x8000")
  endif()
endif()

execute_process(COMMAND ${READELF} -lW "${ELF}" OUTPUT_VARIABLE program RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_image: readelf -l failed on ${ELF}")
endif()
string(REPLACE "\n" ";" lines "${program}")
set(loads 0)
foreach(line IN LISTS lines)
  # "  LOAD 0x001000 0x0000000010000000 0x0000000010000000 0x0013f9 0x0013f9 R E 0x1000"
  if(line MATCHES "^ *LOAD +0x[0-9a-fA-F]+ +(0x[0-9a-fA-F]+) +(0x[0-9a-fA-F]+) +0x[0-9a-fA-F]+ +(0x[0-9a-fA-F]+)")
    math(EXPR loads "${loads} + 1")
    hex_to_dec("${CMAKE_MATCH_1}" vaddr)
    hex_to_dec("${CMAKE_MATCH_2}" paddr)
    hex_to_dec("${CMAKE_MATCH_3}" memsz)
    math(EXPR end "${paddr} + ${memsz}")
    if(NOT vaddr EQUAL paddr)
      message(FATAL_ERROR "check_image: PT_LOAD with p_vaddr ${vaddr} != p_paddr ${paddr}")
    endif()
    if(paddr LESS image_begin OR end GREATER image_end)
      message(FATAL_ERROR "check_image: PT_LOAD [${paddr}, ${end}) is outside the image "
                          "range 0x10000000..0x100F8000")
    endif()
  endif()
endforeach()
if(loads EQUAL 0)
  message(FATAL_ERROR "check_image: ${ELF} has no PT_LOAD segment")
endif()
message(STATUS "check_image: ${ELF}: .resource_table present, ${loads} PT_LOAD segment(s) inside "
               "0x10000000..0x100F8000")
