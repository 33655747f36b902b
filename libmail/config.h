#ifndef SEALPOST_CONFIG_H
#define SEALPOST_CONFIG_H

/*
 * sealpost.conf: `key = value` lines, `#` comment lines, blank lines.
 *
 * Each module declares its options once, in a table beside the code that
 * reads them (`*_settings.c`): name, type, default, range, and the paragraph
 * that becomes its documentation in sealpost.conf(5) and etc/sealpost.conf.
 * Every program validates the whole file against every table, so a typo is
 * caught wherever it is read, then copies the values it needs into its own
 * immutable settings struct with config_fill().
 */

#include <stdbool.h>
#include <stddef.h>

enum config_type {
	CONFIG_STRING,	/* char *; "" when empty */
	CONFIG_BOOL,	/* bool; yes/no, true/false, on/off, 1/0 */
	CONFIG_UINT,	/* unsigned int; plain decimal */
	CONFIG_SIZE,	/* size_t bytes; suffixes k, m, g (powers of 1024) */
	CONFIG_TIME,	/* unsigned int seconds; suffixes s, m, h, d, w */
};

struct config_key {
	const char *name;
	enum config_type type;
	/* The default as it would be written in the file; NULL makes the key
	 * required. */
	const char *default_value;
	/* Inclusive range in the base unit (bytes, seconds) for numbers. */
	unsigned long long min, max;
	/* Where config_fill() stores the value in the module's struct. */
	size_t offset;
	const char *doc;
};

struct config_table {
	const char *name;		/* the module, for the docs */
	const char *doc;		/* a sentence introducing the section */
	const struct config_key *keys;
	size_t count;
};

#define CONFIG_KEYS(array) (array), (sizeof(array) / sizeof((array)[0]))

struct config;

/* Every table of every program, NULL-terminated (master/config_tables.c). */
extern const struct config_table *const config_all_tables[];

/*
 * Reads and validates `path` against `tables` (NULL-terminated).  On error
 * returns -1 with *error_r naming the file, line and key (static storage,
 * valid until the next call).  A NULL path gives the built-in defaults.
 */
int config_load(const char *path, const struct config_table *const *tables,
		struct config **cfg_r, const char **error_r);

/* Overrides one key as if it were the last line of the file ("--set"). */
int config_set(struct config *cfg, const char *key, const char *value,
	       const char **error_r);

/* Copies the table's values into `settings`.  Cannot fail: config_load()
 * already validated everything.  Strings point into `cfg`, which must
 * outlive the settings struct. */
void config_fill(const struct config *cfg, const struct config_table *table,
		 void *settings);

/* The value of a key as written (or its default); NULL if unknown. */
const char *config_get(const struct config *cfg, const char *key);

/* Whether the file or an override set the key. */
bool config_is_set(const struct config *cfg, const char *key);

/* The path it was read from, or NULL for built-in defaults. */
const char *config_path(const struct config *cfg);

void config_free(struct config **cfg);

/* Parsers shared with the command line; 0 or -1. */
int config_parse_bool(const char *s, bool *value_r);
int config_parse_uint(const char *s, unsigned long long *value_r);
int config_parse_size(const char *s, unsigned long long *value_r);
int config_parse_time(const char *s, unsigned long long *value_r);

#endif
