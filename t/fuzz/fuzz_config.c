/*
 * libFuzzer entry point for the configuration parser with every option
 * table of every program: whatever the file holds, config_load() either
 * returns settings that every table can be filled from, or an error that
 * names a line.  The input is the file, read through a memory file.
 */
#include "buf.h"
#include "config.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg;
	const char *error;
	char path[64];
	int fd = memfd_create("sealpost.conf", MFD_CLOEXEC);

	if (fd < 0)
		log_fatal("memfd_create: %m");
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		log_fatal("write: %m");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (config_load(path, config_all_tables, &cfg, &error) == 0) {
		for (size_t i = 0; config_all_tables[i] != NULL; i++) {
			/* Big enough for any settings struct; filled from the
			 * offsets the table declares. */
			static _Alignas(max_align_t) unsigned char settings[65536];

			memset(settings, 0, sizeof(settings));
			config_fill(cfg, config_all_tables[i], settings);
		}
		config_free(&cfg);
	} else if (error == NULL || strstr(error, path) == NULL) {
		log_panic("config: an error that does not name the file");
	}
	close(fd);
	return 0;
}
