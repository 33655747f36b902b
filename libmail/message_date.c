#include "message_date.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* A Date field is a few dozen characters; more is not a date. */
#define MESSAGE_DATE_MAX 256

static const char *const message_date_months[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec",
};

/* The zones of RFC 5322 section 4.3, in minutes east of UTC.  The
 * military letters are counted as UTC, as that section recommends. */
static const struct {
	const char *name;
	int minutes;
} message_date_zones[] = {
	{ "UT", 0 }, { "GMT", 0 }, { "UTC", 0 }, { "Z", 0 },
	{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
	{ "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
};

int64_t message_date_days(int64_t year, int month, int day)
{
	/* Days-from-civil with March as the first month, so the leap day
	 * falls at the end of the year. */
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Copies the value without comments, which may appear anywhere (CFWS). */
static void message_date_strip(const char *value, size_t len, char *out,
			       size_t size)
{
	size_t i, o = 0;
	int depth = 0;

	for (i = 0; i < len && o + 1 < size; i++) {
		char ch = value[i];

		if (ch == '\\' && depth > 0) {
			i++;
			continue;
		}
		if (ch == '(') {
			depth++;
			ch = ' ';
		} else if (ch == ')' && depth > 0) {
			depth--;
			ch = ' ';
		} else if (depth > 0) {
			continue;
		}
		out[o++] = ch == '\t' || ch == '\r' || ch == '\n' ? ' ' : ch;
	}
	out[o] = '\0';
}

static const char *message_date_space(const char *p)
{
	while (*p == ' ' || *p == ',' || *p == '-')
		p++;
	return p;
}

/* Reads 1 to `max` digits. */
static const char *message_date_number(const char *p, int max, long *n_r,
				       int *digits_r)
{
	long n = 0;
	int d = 0;

	while (d < max && isdigit((unsigned char)*p)) {
		n = n * 10 + (*p - '0');
		p++;
		d++;
	}
	*n_r = n;
	*digits_r = d;
	return d == 0 ? NULL : p;
}

/* time-of-day = hour ":" minute [":" second]; 0 when unreadable. */
static long message_date_time(const char **pp)
{
	const char *p = *pp;
	long h, m, s = 0;
	int d;

	if ((p = message_date_number(p, 2, &h, &d)) == NULL || *p != ':' ||
	    (p = message_date_number(p + 1, 2, &m, &d)) == NULL)
		return 0;
	if (*p == ':' && isdigit((unsigned char)p[1]))
		p = message_date_number(p + 1, 2, &s, &d);
	if (h > 23 || m > 59 || s > 60)
		return 0;
	*pp = p;
	return h * 3600 + m * 60 + s;
}

static int message_date_zone(const char *p)
{
	long n;
	int d, sign;

	while (*p == ' ')
		p++;
	if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (message_date_number(p + 1, 4, &n, &d) == NULL || d != 4 ||
		    n % 100 > 59)
			return 0;
		return sign * (int)(n / 100 * 60 + n % 100);
	}
	for (size_t i = 0; i < sizeof(message_date_zones) /
		     sizeof(message_date_zones[0]); i++) {
		size_t l = strlen(message_date_zones[i].name);

		if (strncasecmp(p, message_date_zones[i].name, l) == 0 &&
		    !isalpha((unsigned char)p[l]))
			return message_date_zones[i].minutes;
	}
	return 0;
}

bool message_date_parse(const char *value, size_t len, int64_t *time_r)
{
	char text[MESSAGE_DATE_MAX];
	const char *p;
	long day, year;
	int d, m;
	long secs;

	if (len >= sizeof(text))
		return false;
	message_date_strip(value, len, text, sizeof(text));
	p = message_date_space(text);
	/* [day-of-week ","] */
	if (isalpha((unsigned char)*p)) {
		while (isalpha((unsigned char)*p))
			p++;
		p = message_date_space(p);
	}
	if ((p = message_date_number(p, 2, &day, &d)) == NULL)
		return false;
	p = message_date_space(p);
	for (m = 0; m < 12; m++) {
		if (strncasecmp(p, message_date_months[m], 3) == 0)
			break;
	}
	if (m == 12)
		return false;
	while (isalpha((unsigned char)*p))
		p++;
	p = message_date_space(p);
	if ((p = message_date_number(p, 4, &year, &d)) == NULL)
		return false;
	/* Obsolete two- and three-digit years (RFC 5322 section 4.3). */
	if (d <= 2)
		year += year < 50 ? 2000 : 1900;
	else if (d == 3)
		year += 1900;
	if (day < 1 || day > 31)
		return false;
	p = message_date_space(p);
	secs = message_date_time(&p);
	*time_r = message_date_days(year, m + 1, (int)day) * 86400 + secs -
		(int64_t)message_date_zone(p) * 60;
	return true;
}
