#ifndef SEALPOST_MESSAGE_DATE_H
#define SEALPOST_MESSAGE_DATE_H

/*
 * The instant an RFC 5322 Date field names (section 3.3, with the obsolete
 * forms of section 4.3), as IMAP SORT and THREAD need it (RFC 5256 section
 * 2.2: the "sent date", normalised to UTC).  Tolerant the way readers are:
 * comments, a missing day of week or seconds, two-digit years and the
 * obsolete zone names are read; an unknown zone counts as UTC and a
 * missing or broken time as 00:00:00, as RFC 5256 asks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads an unfolded Date value.  Returns true with the seconds since
 * 1970-01-01 UTC (negative before) in *time_r, or false when no day,
 * month and year can be read from it. */
bool message_date_parse(const char *value, size_t len, int64_t *time_r);

/* Days from 1970-01-01 to a proleptic Gregorian date (month 1..12). */
int64_t message_date_days(int64_t year, int month, int day);

#endif
