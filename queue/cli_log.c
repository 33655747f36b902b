/* Reading the log files for trace and stats; see cli_log.h. */
#include "cli_log.h"
#include "buf.h"
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cli_log_file(const char *path, cli_log_fn *fn, void *ctx)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	if (f == NULL)
		return -1;
	while ((n = getline(&line, &size, f)) > 0) {
		struct log_line l;

		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (log_parse_line(line, &l) == 0) {
			fn(ctx, &l);
			log_line_free(&l);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

int cli_log_each(const struct config *cfg, const char *path, cli_log_fn *fn,
		 void *ctx)
{
	const char *v = path != NULL ? path : config_get(cfg, "log_file");
	const char *state_dir = config_get(cfg, "state_dir");
	struct buf file = BUF_INIT, old = BUF_INIT;
	int a, b;

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "sealpost: no log_file to read\n");
		return -1;
	}
	if (v[0] == '/' || state_dir == NULL || path != NULL)
		buf_append_str(&file, v);
	else
		buf_printf(&file, "%s/%s", state_dir, v);
	buf_printf(&old, "%s.1", buf_cstr(&file));
	a = cli_log_file(buf_cstr(&old), fn, ctx);
	b = cli_log_file(buf_cstr(&file), fn, ctx);
	if (a < 0 && b < 0)
		fprintf(stderr, "sealpost: %s: %s\n", buf_cstr(&file),
			strerror(errno));
	buf_free(&file);
	buf_free(&old);
	return a < 0 && b < 0 ? -1 : 0;
}
