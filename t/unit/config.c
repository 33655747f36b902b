/* Unit tests for libmail/config.c: parsing, ranges, errors with file:line. */
#include "tap.h"
#include "buf.h"
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_settings {
	const char *name;
	bool flag;
	unsigned int count;
	size_t size;
	unsigned int delay;
	const char *needed;
};

#define F(x) offsetof(struct test_settings, x)
static const struct config_key keys[] = {
	{ "name", CONFIG_STRING, "def", 0, 0, F(name), "A name." },
	{ "flag", CONFIG_BOOL, "no", 0, 0, F(flag), "A flag." },
	{ "count", CONFIG_UINT, "5", 1, 100, F(count), "A count." },
	{ "size", CONFIG_SIZE, "10m", 0, 1ULL << 40, F(size), "A size." },
	{ "delay", CONFIG_TIME, "300s", 0, 86400 * 30, F(delay), "A time." },
	{ "needed", CONFIG_STRING, NULL, 0, 0, F(needed), "Required." },
};
static const struct config_table table = { "test", "Test keys.",
					   CONFIG_KEYS(keys) };
static const struct config_table *const tables[] = { &table, NULL };

/* Writes `text` to a temporary file and loads it. */
static int load(const char *text, struct config **cfg_r, const char **err_r)
{
	char path[] = "/tmp/sealpost-config-test-XXXXXX";
	int fd = mkstemp(path), ret;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	ret = config_load(path, tables, cfg_r, err_r);
	unlink(path);
	return ret;
}

static void expect_error(const char *text, const char *fragment,
			 const char *name)
{
	struct config *cfg = NULL;
	const char *err = "";

	if (!ok(load(text, &cfg, &err) < 0 && strstr(err, fragment) != NULL,
		name))
		printf("#   error was '%s'\n", err);
	config_free(&cfg);
}

int main(void)
{
	struct test_settings s;
	struct config *cfg = NULL;
	const char *err;
	unsigned long long n;

	ok(load("# comment\n\nneeded = x\n  name =  hello world  \n"
		"flag = yes\ncount=7\nsize = 2k\ndelay = 5d\n", &cfg, &err) == 0,
	   "valid file loads");
	config_fill(cfg, &table, &s);
	is_str(s.name, "hello world", "string trimmed");
	ok(s.flag, "bool parsed");
	is_int(s.count, 7, "uint parsed");
	is_int(s.size, 2048, "size with k suffix");
	is_int(s.delay, 5 * 86400, "time with d suffix");
	ok(config_is_set(cfg, "name") && !config_is_set(cfg, "flag") == 0,
	   "is_set reports set keys");
	is_int(config_set(cfg, "count", "9", &err), 0, "override accepted");
	config_fill(cfg, &table, &s);
	is_int(s.count, 9, "override wins");
	ok(config_set(cfg, "count", "900", &err) < 0 &&
	   strstr(err, "outside 1..100") != NULL, "override range-checked");
	ok(config_set(cfg, "nokey", "1", &err) < 0 &&
	   strstr(err, "unknown key 'nokey'") != NULL, "override key checked");
	config_free(&cfg);

	ok(load("needed = 1\n", &cfg, &err) == 0, "defaults fill the rest");
	config_fill(cfg, &table, &s);
	is_str(s.name, "def", "string default");
	is_int(s.delay, 300, "time default");
	is_int(s.size, 10 * 1024 * 1024, "size default");
	config_free(&cfg);

	ok(load("needed = \"  spaced  \"\n", &cfg, &err) == 0, "quoted value");
	config_fill(cfg, &table, &s);
	is_str(s.needed, "  spaced  ", "quotes keep spaces");
	config_free(&cfg);

	expect_error("needed = 1\nbogus = 2\n", ":2: unknown key 'bogus'",
		     "unknown key names file:line and key");
	expect_error("needed = 1\n\ncount = 0\n", ":3: key 'count': 0 is outside",
		     "below range");
	expect_error("needed = 1\ncount = abc\n", "key 'count': 'abc' is not",
		     "not a number");
	expect_error("needed = 1\nflag = maybe\n", "key 'flag': 'maybe'",
		     "bad bool");
	expect_error("needed = 1\nsize = 3q\n", "key 'size'", "bad size unit");
	expect_error("needed = 1\ndelay = -5\n", "key 'delay'", "negative time");
	expect_error("name = x\n", "required key 'needed' is missing",
		     "missing required key");
	expect_error("needed = 1\njust words\n", ":2: expected 'key = value'",
		     "line without =");
	expect_error("needed = 1\ncount = 99999999999999999999999\n",
		     "key 'count'", "overflow");

	{
		struct buf big = BUF_INIT;

		buf_append_str(&big, "needed = ");
		for (int i = 0; i < 5000; i++)
			buf_append_char(&big, 'x');
		buf_append_char(&big, '\n');
		expect_error(buf_cstr(&big), ":1: line longer than",
			     "over-long line refused");
		buf_free(&big);
	}

	ok(config_parse_time("4000", &n) == 0 && n == 4000, "bare time is seconds");
	ok(config_parse_time("2w", &n) == 0 && n == 14 * 86400, "weeks");
	ok(config_parse_size("1g", &n) == 0 && n == 1ULL << 30, "gigabytes");
	ok(config_parse_size("", &n) < 0, "empty size refused");

	ok(config_load(NULL, tables, &cfg, &err) < 0 &&
	   strstr(err, "required key 'needed'") != NULL,
	   "defaults alone miss the required key");
	return tap_done();
}
