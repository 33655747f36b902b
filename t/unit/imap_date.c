/* Unit tests for imapd/imap_date.c. */
#include "tap.h"
#include "buf.h"
#include "imapd/imap_date.h"

struct date_case {
	const char *input;
	const char *canonical;	/* NULL: refused */
	long long days;
};

static const struct date_case date_cases[] = {
	{ "1-Jan-1970", "1-Jan-1970", 0 },
	{ "01-jan-1970", "1-Jan-1970", 0 },
	{ "29-Feb-2024", "29-Feb-2024", 19782 },
	{ "31-DEC-1969", "31-Dec-1969", -1 },
	{ "17-Jul-1996", "17-Jul-1996", 9694 },
	{ "29-Feb-2023", NULL, 0 },
	{ "29-Feb-1900", NULL, 0 },
	{ "29-Feb-2000", "29-Feb-2000", 11016 },
	{ "31-Apr-2020", NULL, 0 },
	{ "0-Jan-2020", NULL, 0 },
	{ "1-Jan-0000", NULL, 0 },
	{ "1-Foo-2020", NULL, 0 },
	{ "1-Jan-20", NULL, 0 },
	{ "1-Jan-20201", NULL, 0 },
	{ "123-Jan-2020", NULL, 0 },
	{ "1 Jan 2020", NULL, 0 },
	{ " 1-Jan-2020", NULL, 0 },
	{ "", NULL, 0 },
	{ "1-Ja", NULL, 0 },
};

struct datetime_case {
	const char *input;
	int ok;
	long long t;
	int tz;
	const char *formatted;
};

static const struct datetime_case datetime_cases[] = {
	{ "17-Jul-1996 02:44:25 -0700", 1, 837596665, -420,
	  "17-Jul-1996 02:44:25 -0700" },
	{ " 1-Jan-2000 00:00:00 +0000", 1, 946684800, 0,
	  "01-Jan-2000 00:00:00 +0000" },
	{ "01-Jan-2000 05:30:00 +0530", 1, 946684800, 330,
	  "01-Jan-2000 05:30:00 +0530" },
	{ "1-Jan-2000 00:00:00 +0000", 1, 946684800, 0,
	  "01-Jan-2000 00:00:00 +0000" },
	{ "31-Dec-1999 23:59:60 +0000", 1, 946684800, 0,
	  "01-Jan-2000 00:00:00 +0000" },
	{ "01-Jan-2000 24:00:00 +0000", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:60:00 +0000", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:00:00 +2400", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:00:00 +0060", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:00:00 0000", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:00:00 +000", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:00:00 +00000", 0, 0, 0, NULL },
	{ "01-Jan-2000 0:00:00 +0000", 0, 0, 0, NULL },
	{ "01-Jan-2000  00:00:00 +0000", 0, 0, 0, NULL },
	{ "01-Jan-2000 00:00:00", 0, 0, 0, NULL },
};

int main(void)
{
	char out[IMAP_DATETIME_SIZE];

	for (size_t i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]);
	     i++) {
		const struct date_case *c = &date_cases[i];
		struct imap_date d;
		char name[100];
		int ret = imap_date_parse(c->input, &d);

		str_format(name, sizeof(name), "date '%s'", c->input);
		if (c->canonical == NULL) {
			is_int(ret, -1, name);
			continue;
		}
		if (!ok(ret == 0, name))
			continue;
		struct buf b = BUF_INIT;
		imap_date_format(&d, &b);
		is_str(buf_cstr(&b), c->canonical, name);
		is_int(imap_date_days(&d), c->days, name);
		buf_free(&b);
	}
	for (size_t i = 0;
	     i < sizeof(datetime_cases) / sizeof(datetime_cases[0]); i++) {
		const struct datetime_case *c = &datetime_cases[i];
		time_t t;
		int tz;
		char name[100];
		int ret = imap_datetime_parse(c->input, &t, &tz);

		str_format(name, sizeof(name), "date-time '%s'", c->input);
		if (!c->ok) {
			is_int(ret, -1, name);
			continue;
		}
		if (!ok(ret == 0, name))
			continue;
		is_int(t, c->t, name);
		is_int(tz, c->tz, name);
		imap_datetime_format(t, tz, out);
		is_str(out, c->formatted, name);
	}
	imap_datetime_format(-5, 0, out);
	is_str(out, "01-Jan-1970 00:00:00 +0000", "clamped before 1970");
	imap_datetime_format((time_t)1 << 50, 99999, out);
	is_str(out, "31-Dec-9999 23:59:59 +2359", "clamped after 9999");
	return tap_done();
}
