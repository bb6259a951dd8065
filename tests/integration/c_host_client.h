/* c_host_client.c, for c_api_test.cc. */
#ifndef TANDEM_TESTS_C_HOST_CLIENT_H_
#define TANDEM_TESTS_C_HOST_CLIENT_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int c_host_client_run(const char* elf, const char* runtime_dir, const char* name, char* why,
                      size_t why_size);

#ifdef __cplusplus
}
#endif

#endif
