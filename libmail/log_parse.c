/* Reading log lines back; see log_parse.h. */
#include "log_parse.h"
#include "buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "2026-11-28T17:15:11" (UTC when it ends in Z, as log.c writes it; an
 * offset is applied) or "Nov 28 17:15:11" (syslog: this year, local). */
static time_t log_parse_time(const char *s)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) != NULL) {
		long off = 0;

		if (*end == '.')
			while (isdigit((unsigned char)*++end))
				;
		if ((*end == '+' || *end == '-') && isdigit((unsigned char)end[1])) {
			int hh = atoi(end + 1), mm = end[3] == ':' ? atoi(end + 4) : 0;

			off = (hh * 3600L + mm * 60L) * (*end == '-' ? -1 : 1);
		}
		t = timegm(&tm);
		return t - off;
	}
	if (strptime(s, "%b %d %H:%M:%S", &tm) != NULL) {
		time_t now = time(NULL);
		struct tm lt;

		localtime_r(&now, &lt);
		tm.tm_year = lt.tm_year;
		tm.tm_isdst = -1;
		t = mktime(&tm);
		/* December's lines read in January. */
		if (t > now + 86400) {
			tm.tm_year--;
			t = mktime(&tm);
		}
		return t;
	}
	return 0;
}

/* Reads one value at *p (quoted or bare) into `out`, unescaping. */
static int log_parse_value(char **p, char **out)
{
	char *s = *p, *w = s;

	*out = w;
	if (*s != '"') {
		while (*s != '\0' && *s != ' ')
			s++;
		if (*s == ' ')
			*s++ = '\0';
		*p = s;
		return 0;
	}
	s++;
	while (*s != '"') {
		if (*s == '\0')
			return -1;
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\')) {
			*w++ = s[1];
			s += 2;
		} else if (*s == '\\' && s[1] == 'x' && isxdigit((unsigned char)s[2]) &&
			   isxdigit((unsigned char)s[3])) {
			char hex[3] = { s[2], s[3], '\0' };

			*w++ = (char)strtoul(hex, NULL, 16);
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	s++;
	*w = '\0';
	if (*s == ' ')
		s++;
	else if (*s != '\0')
		return -1;
	*p = s;
	return 0;
}

int log_parse_line(const char *line, struct log_line *l)
{
	char *s, *colon, *bracket, *prog, *p;

	memset(l, 0, sizeof(*l));
	if (strlen(line) > LOG_PARSE_LINE_MAX)
		return -1;
	s = l->storage = xstrdup(line);
	/* The program tag: the first "WORD[PID]: ". */
	for (colon = strstr(s, "]: "); colon != NULL;
	     colon = strstr(colon + 1, "]: ")) {
		bracket = colon;
		while (bracket > s && isdigit((unsigned char)bracket[-1]))
			bracket--;
		if (bracket > s && bracket[-1] == '[' && bracket < colon)
			break;
	}
	if (colon == NULL)
		goto bad;
	l->pid = strtol(bracket, NULL, 10);
	bracket[-1] = '\0';
	prog = bracket - 1;
	while (prog > s && prog[-1] != ' ')
		prog--;
	l->program = prog;
	if (prog > s)
		prog[-1] = '\0';
	l->stamp = s;
	l->time = log_parse_time(s);
	p = colon + 3;
	l->event = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p == ' ')
		*p++ = '\0';
	if (*l->event == '\0')
		goto bad;
	while (*p != '\0') {
		char *key = p, *eq = strchr(p, '='), *value;

		if (eq == NULL || l->field_count == LOG_PARSE_FIELDS_MAX)
			goto bad;
		*eq = '\0';
		p = eq + 1;
		if (strchr(key, ' ') != NULL || log_parse_value(&p, &value) < 0)
			goto bad;
		l->fields[l->field_count].key = key;
		l->fields[l->field_count++].value = value;
	}
	return 0;
bad:
	log_line_free(l);
	return -1;
}

void log_line_free(struct log_line *l)
{
	free(l->storage);
	memset(l, 0, sizeof(*l));
}

const char *log_line_get(const struct log_line *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->field_count; i++) {
		if (strcmp(l->fields[i].key, key) == 0)
			return l->fields[i].value;
	}
	return NULL;
}
