#include "imapd/imap_date.h"

#include "log.h"

#include <strings.h>

static const char month_names[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Reads exactly n digits. */
static const char *digits(const char *p, int n, int *value_r)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return NULL;
		v = v * 10 + (p[i] - '0');
	}
	*value_r = v;
	return p + n;
}

/* day "-" Mon "-" yyyy, the day in one or two digits (or " d" when
 * `fixed`); returns the end, or NULL. */
static const char *parse_date_part(const char *p, struct imap_date *d,
				   int fixed)
{
	int day, year;

	if (fixed && p[0] == ' ')
		p++;
	if (p[0] < '0' || p[0] > '9')
		return NULL;
	if (p[1] >= '0' && p[1] <= '9') {
		day = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
	} else {
		day = p[0] - '0';
		p++;
	}
	if (*p++ != '-')
		return NULL;
	d->month = 0;
	for (int m = 0; m < 12; m++) {
		if (strncasecmp(p, month_names[m], 3) == 0) {
			d->month = m + 1;
			break;
		}
	}
	if (d->month == 0 || p[3] != '-')
		return NULL;
	p = digits(p + 4, 4, &year);
	if (p == NULL || year < 1 || day < 1 ||
	    day > days_in_month(year, d->month))
		return NULL;
	d->year = year;
	d->day = day;
	return p;
}

int imap_date_parse(const char *text, struct imap_date *date_r)
{
	struct imap_date d;
	const char *end = parse_date_part(text, &d, 0);

	if (end == NULL || *end != '\0')
		return -1;
	*date_r = d;
	return 0;
}

void imap_date_format(const struct imap_date *date, struct buf *out)
{
	buf_printf(out, "%d-%s-%04d", date->day, month_names[date->month - 1],
		   date->year);
}

/* Howard Hinnant's days_from_civil, for the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = (int)(y + (*m_r <= 2));
}

int64_t imap_date_days(const struct imap_date *date)
{
	return days_from_civil(date->year, date->month, date->day);
}

int imap_datetime_parse(const char *text, time_t *time_r, int *tz_minutes_r)
{
	struct imap_date d;
	int hh, mm, ss, zh, zm, sign;
	const char *p = parse_date_part(text, &d, 1);

	/* time = 2DIGIT ":" 2DIGIT ":" 2DIGIT; zone = ("+" / "-") 4DIGIT */
	if (p == NULL || *p++ != ' ' || (p = digits(p, 2, &hh)) == NULL ||
	    *p++ != ':' || (p = digits(p, 2, &mm)) == NULL || *p++ != ':' ||
	    (p = digits(p, 2, &ss)) == NULL || *p++ != ' ')
		return -1;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if ((p = digits(p, 2, &zh)) == NULL || (p = digits(p, 2, &zm)) == NULL ||
	    *p != '\0')
		return -1;
	/* A leap second (ss 60) is allowed, as in RFC 5322. */
	if (hh > 23 || mm > 59 || ss > 60 || zh > 23 || zm > 59)
		return -1;
	*tz_minutes_r = sign * (zh * 60 + zm);
	*time_r = (time_t)(imap_date_days(&d) * 86400 +
			   hh * 3600 + mm * 60 + ss) -
		(time_t)*tz_minutes_r * 60;
	return 0;
}

void imap_datetime_format(time_t t, int tz_minutes,
			  char out[IMAP_DATETIME_SIZE])
{
	const int64_t max = days_from_civil(9999, 12, 31) * 86400 + 86399;
	int64_t local, days, secs;
	int y, m, d, tz;

	if (tz_minutes > 23 * 60 + 59)
		tz_minutes = 23 * 60 + 59;
	if (tz_minutes < -(23 * 60 + 59))
		tz_minutes = -(23 * 60 + 59);
	local = (int64_t)t + tz_minutes * 60;
	if (local < 0)
		local = 0;
	if (local > max)
		local = max;
	days = local / 86400;
	secs = local % 86400;
	civil_from_days(days, &y, &m, &d);
	tz = tz_minutes < 0 ? -tz_minutes : tz_minutes;
	/* Every field is clamped above, so this always fits. */
	if (str_format(out, IMAP_DATETIME_SIZE,
		       "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d",
		       d, month_names[m - 1], y, (int)(secs / 3600),
		       (int)(secs / 60 % 60), (int)(secs % 60),
		       tz_minutes < 0 ? '-' : '+', tz / 60, tz % 60) < 0)
		log_panic("imap_datetime_format: date-time does not fit");
}
