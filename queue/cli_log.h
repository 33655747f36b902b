#ifndef SEALPOST_CLI_LOG_H
#define SEALPOST_CLI_LOG_H

/* The log as `sealpost trace` and `sealpost stats` read it: log_file (or
 * the --log FILE given), its rotated copy FILE.1 first, line by line. */

#include "log_parse.h"

struct config;

typedef void cli_log_fn(void *ctx, const struct log_line *l);

/* Calls `fn` for every sealpost line, oldest first.  0, or -1 (after
 * printing why) when no log file could be read. */
int cli_log_each(const struct config *cfg, const char *path, cli_log_fn *fn,
		 void *ctx);

#endif
