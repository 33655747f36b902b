#ifndef SEALPOST_CRC32_H
#define SEALPOST_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C (Castagnoli), for detecting torn or corrupt records on disk.
 * Pass 0 as `crc` to start; feed pieces by passing the previous result. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The same without the CPU's CRC instruction (for testing the two agree). */
uint32_t crc32c_portable(uint32_t crc, const void *data, size_t len);

#endif
