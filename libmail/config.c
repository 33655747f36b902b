#include "config.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A config file is written by a person; anything larger is a mistake. */
#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_FILE (1024 * 1024)

struct config_value {
	const struct config_key *key;
	char *value;		/* NULL: default */
};

struct config {
	char *path;
	struct config_value *values;
	size_t count;
};

static char config_error[CONFIG_MAX_LINE + 256];

static int config_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static int config_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(config_error, sizeof(config_error), fmt, ap);
	va_end(ap);
	return -1;
}

int config_parse_bool(const char *s, bool *value_r)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		*value_r = true;
	else if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
		 strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		*value_r = false;
	else
		return -1;
	return 0;
}

/* Parses digits followed by an optional one-letter unit from `units`,
 * whose multipliers are in `mult`. */
static int config_parse_scaled(const char *s, const char *units,
			       const unsigned long long *mult,
			       unsigned long long *value_r)
{
	unsigned long long v;
	const char *u;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		if (end[1] != '\0' || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > ULLONG_MAX / mult[u - units])
			return -1;
		v *= mult[u - units];
	}
	*value_r = v;
	return 0;
}

int config_parse_uint(const char *s, unsigned long long *value_r)
{
	static const unsigned long long none[1] = { 1 };

	return config_parse_scaled(s, "", none, value_r);
}

int config_parse_size(const char *s, unsigned long long *value_r)
{
	static const unsigned long long mult[] = {
		1024ULL, 1024ULL, 1024ULL * 1024, 1024ULL * 1024,
		1024ULL * 1024 * 1024, 1024ULL * 1024 * 1024,
	};

	return config_parse_scaled(s, "kKmMgG", mult, value_r);
}

int config_parse_time(const char *s, unsigned long long *value_r)
{
	static const unsigned long long mult[] = {
		1, 60, 3600, 86400, 7 * 86400,
	};

	return config_parse_scaled(s, "smhdw", mult, value_r);
}

static int config_check_value(const struct config_key *key, const char *value)
{
	unsigned long long n;
	bool b;
	int ret = 0;

	switch (key->type) {
	case CONFIG_STRING:
		return 0;
	case CONFIG_BOOL:
		if (config_parse_bool(value, &b) < 0)
			return config_fail("'%s' is not yes or no", value);
		return 0;
	case CONFIG_UINT:
		ret = config_parse_uint(value, &n);
		break;
	case CONFIG_SIZE:
		ret = config_parse_size(value, &n);
		break;
	case CONFIG_TIME:
		ret = config_parse_time(value, &n);
		break;
	}
	if (ret < 0)
		return config_fail("'%s' is not a valid %s", value,
				   key->type == CONFIG_SIZE ? "size (e.g. 10m)" :
				   key->type == CONFIG_TIME ? "time (e.g. 300s, 5d)" :
				   "number");
	if (n < key->min || n > key->max)
		return config_fail("%s is outside %llu..%llu", value,
				   key->min, key->max);
	return 0;
}

static struct config_value *config_find(const struct config *cfg,
					const char *name)
{
	size_t i;

	for (i = 0; i < cfg->count; i++) {
		if (strcmp(cfg->values[i].key->name, name) == 0)
			return &cfg->values[i];
	}
	return NULL;
}

static struct config *config_new(const struct config_table *const *tables)
{
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	size_t i, j, n = 0;

	for (i = 0; tables[i] != NULL; i++)
		n += tables[i]->count;
	cfg->values = xcalloc(n, sizeof(*cfg->values));
	for (i = 0; tables[i] != NULL; i++) {
		for (j = 0; j < tables[i]->count; j++) {
			const struct config_key *key = &tables[i]->keys[j];

			if (config_find(cfg, key->name) != NULL)
				log_panic("config key %s declared twice",
					  key->name);
			if ((key->type == CONFIG_UINT ||
			     key->type == CONFIG_TIME) && key->max > UINT_MAX)
				log_panic("config key %s: range too wide",
					  key->name);
			if (key->default_value != NULL &&
			    config_check_value(key, key->default_value) < 0)
				log_panic("config key %s: bad default",
					  key->name);
			cfg->values[cfg->count++].key = key;
		}
	}
	return cfg;
}

int config_set(struct config *cfg, const char *name, const char *value,
	       const char **error_r)
{
	struct config_value *v = config_find(cfg, name);

	if (v == NULL) {
		config_fail("unknown key '%s'", name);
		*error_r = config_error;
		return -1;
	}
	if (config_check_value(v->key, value) < 0) {
		char detail[sizeof(config_error)];

		(void)str_copy(detail, sizeof(detail), config_error);
		config_fail("key '%s': %s", name, detail);
		*error_r = config_error;
		return -1;
	}
	free(v->value);
	v->value = xstrdup(value);
	return 0;
}

static char *config_trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
			   end[-1] == '\r' || end[-1] == '\n'))
		*--end = '\0';
	return s;
}

static int config_parse_line(struct config *cfg, char *line,
			     unsigned int lineno, const char **error_r)
{
	char *eq, *key, *value;
	const char *err;

	line = config_trim(line);
	if (*line == '\0' || *line == '#')
		return 0;
	eq = strchr(line, '=');
	if (eq == NULL) {
		config_fail("%s:%u: expected 'key = value'", cfg->path, lineno);
		*error_r = config_error;
		return -1;
	}
	*eq = '\0';
	key = config_trim(line);
	value = config_trim(eq + 1);
	/* A value may be quoted to keep leading or trailing spaces. */
	if (value[0] == '"' && strlen(value) >= 2 &&
	    value[strlen(value) - 1] == '"') {
		value[strlen(value) - 1] = '\0';
		value++;
	}
	if (config_set(cfg, key, value, &err) < 0) {
		char detail[sizeof(config_error)];

		(void)str_copy(detail, sizeof(detail), err);
		config_fail("%s:%u: %s", cfg->path, lineno, detail);
		*error_r = config_error;
		return -1;
	}
	return 0;
}

static int config_read_file(struct config *cfg, const char **error_r)
{
	char line[CONFIG_MAX_LINE + 2];
	unsigned int lineno = 0;
	size_t total = 0;
	FILE *f;
	int ret = 0;

	f = fopen(cfg->path, "r");
	if (f == NULL) {
		config_fail("%s: %s", cfg->path, strerror(errno));
		*error_r = config_error;
		return -1;
	}
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		size_t len = strlen(line);

		lineno++;
		total += len;
		if (total > CONFIG_MAX_FILE) {
			config_fail("%s: larger than %d bytes", cfg->path,
				    CONFIG_MAX_FILE);
			*error_r = config_error;
			ret = -1;
		} else if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
			config_fail("%s:%u: line longer than %d bytes",
				    cfg->path, lineno, CONFIG_MAX_LINE);
			*error_r = config_error;
			ret = -1;
		} else if (memchr(line, '\0', len) != NULL) {
			config_fail("%s:%u: NUL byte", cfg->path, lineno);
			*error_r = config_error;
			ret = -1;
		} else {
			ret = config_parse_line(cfg, line, lineno, error_r);
		}
	}
	if (ret == 0 && ferror(f)) {
		config_fail("%s: read error", cfg->path);
		*error_r = config_error;
		ret = -1;
	}
	fclose(f);
	return ret;
}

int config_load(const char *path, const struct config_table *const *tables,
		struct config **cfg_r, const char **error_r)
{
	struct config *cfg = config_new(tables);
	size_t i;

	if (path != NULL) {
		cfg->path = xstrdup(path);
		if (config_read_file(cfg, error_r) < 0) {
			config_free(&cfg);
			return -1;
		}
	}
	for (i = 0; i < cfg->count; i++) {
		if (cfg->values[i].value == NULL &&
		    cfg->values[i].key->default_value == NULL) {
			config_fail("%s: required key '%s' is missing",
				    path != NULL ? path : "(defaults)",
				    cfg->values[i].key->name);
			*error_r = config_error;
			config_free(&cfg);
			return -1;
		}
	}
	*cfg_r = cfg;
	return 0;
}

const char *config_get(const struct config *cfg, const char *name)
{
	const struct config_value *v = config_find(cfg, name);

	if (v == NULL)
		return NULL;
	return v->value != NULL ? v->value : v->key->default_value;
}

bool config_is_set(const struct config *cfg, const char *name)
{
	const struct config_value *v = config_find(cfg, name);

	return v != NULL && v->value != NULL;
}

const char *config_path(const struct config *cfg)
{
	return cfg->path;
}

void config_fill(const struct config *cfg, const struct config_table *table,
		 void *settings)
{
	size_t i;

	for (i = 0; i < table->count; i++) {
		const struct config_key *key = &table->keys[i];
		const char *s = config_get(cfg, key->name);
		char *field = (char *)settings + key->offset;
		unsigned long long n = 0;
		bool b = false;

		switch (key->type) {
		case CONFIG_STRING:
			*(const char **)(void *)field = s;
			break;
		case CONFIG_BOOL:
			(void)config_parse_bool(s, &b);
			*(bool *)(void *)field = b;
			break;
		case CONFIG_UINT:
			(void)config_parse_uint(s, &n);
			*(unsigned int *)(void *)field = (unsigned int)n;
			break;
		case CONFIG_SIZE:
			(void)config_parse_size(s, &n);
			*(size_t *)(void *)field = (size_t)n;
			break;
		case CONFIG_TIME:
			(void)config_parse_time(s, &n);
			*(unsigned int *)(void *)field = (unsigned int)n;
			break;
		}
	}
}

void config_free(struct config **cfgp)
{
	struct config *cfg = *cfgp;
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->count; i++)
		free(cfg->values[i].value);
	free(cfg->values);
	free(cfg->path);
	free(cfg);
	*cfgp = NULL;
}
