#ifndef SEALPOST_IMAP_DATE_H
#define SEALPOST_IMAP_DATE_H

/*
 * IMAP dates (RFC 9051 section 9): "d-Mon-yyyy" in SEARCH (date), and
 * "dd-Mon-yyyy hh:mm:ss +zzzz" for APPEND and INTERNALDATE (date-time).
 * The command reader has already removed the quotes of a quoted argument,
 * so the functions here see the bare text.  Month names are matched
 * without regard to case.  No locale and no time zone database is used.
 */

#include <stdint.h>
#include <time.h>

#include "buf.h"

struct imap_date {
	int year;	/* 1..9999 */
	int month;	/* 1..12 */
	int day;	/* 1..31, valid for the month */
};

/* date-text = date-day "-" date-month "-" date-year, date-day 1*2DIGIT.
 * Returns 0, or -1 for anything else (including 31-Apr, 29-Feb of common
 * years). */
int imap_date_parse(const char *text, struct imap_date *date_r);

/* Appends "d-Mon-yyyy". */
void imap_date_format(const struct imap_date *date, struct buf *out);

/* Days since 1970-01-01 (negative before), for comparing dates: SEARCH
 * BEFORE/ON/SINCE compare the date part only, in the server's idea of the
 * message's time zone (RFC 9051 section 6.4.4). */
int64_t imap_date_days(const struct imap_date *date);

/* date-time without its quotes: "dd-Mon-yyyy hh:mm:ss +zzzz"; the day may
 * also be " d" (date-day-fixed) or "d".  Gives the instant as time_t and
 * the zone as minutes east of UTC.  Returns 0 or -1. */
int imap_datetime_parse(const char *text, time_t *time_r, int *tz_minutes_r);

/* Room for a formatted date-time and its NUL. */
#define IMAP_DATETIME_SIZE 27

/* Writes "dd-Mon-yyyy hh:mm:ss +zzzz" (no quotes) for `t` seen in a zone
 * `tz_minutes` east of UTC (clamped to +-23:59).  Times before 1970 or
 * after 9999 are clamped to those years' ends. */
void imap_datetime_format(time_t t, int tz_minutes,
			  char out[IMAP_DATETIME_SIZE]);

#endif
