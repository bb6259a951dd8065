/*
 * The simulated board for firmware written in C (issue #14). A C image
 * links the board's C glue (platform/simulated_board/c_image.cc), which
 * gives it what a C++ image writes itself: the standard RPMsg resource table
 * in .resource_table (rpmsg_resource_table.h) and FirmwareMain(). The image
 * defines tandem_firmware_main() instead and makes its node with
 * tandem_simulated_board_node_init().
 */
#ifndef TANDEM_C_SIMULATED_BOARD_H_
#define TANDEM_C_SIMULATED_BOARD_H_

#include "tandem/c/remote.h"
#include "tandem/remote/bsp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defined by the C image: its main. The return value ends the core
 * (TANDEM_REMOTE_EXIT_*; 0 = clean). */
int tandem_firmware_main(const TandemBsp* bsp);

/* A node over the board's device window, the image range of its memory map
 * and the glue's resource table, logging as "<name>: ...". TANDEM_OK or
 * the error of mapping the window. */
int tandem_simulated_board_node_init(tandem_remote_node* node, const TandemBsp* bsp,
                                     const char* name);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* TANDEM_C_SIMULATED_BOARD_H_ */
