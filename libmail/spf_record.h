#ifndef SEALPOST_SPF_RECORD_H
#define SEALPOST_SPF_RECORD_H

/*
 * The SPF record parser (RFC 7208 sections 4.5, 4.6, 5, 6 and 12).  A
 * record is checked whole before anything is evaluated, since a syntax
 * error anywhere makes it a permerror (4.6).  Bounded: at most
 * SPF_RECORD_MAX bytes and SPF_TERMS_MAX terms.
 */

#include <stdbool.h>
#include <stddef.h>

#define SPF_RECORD_MAX 4096
#define SPF_TERMS_MAX 100

enum spf_mech {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

struct spf_term {
	enum spf_mech mech;
	char qualifier;		/* '+', '-', '~' or '?' */
	char *domain;		/* the domain-spec as written; NULL: <domain> */
	unsigned char addr[16];	/* ip4 (first 4 bytes), ip6 */
	unsigned int cidr4;	/* 32 when not given */
	unsigned int cidr6;	/* 128 when not given */
	char *text;		/* the term as written, for logs */
};

struct spf_record {
	struct spf_term *terms;
	size_t count;
	char *redirect;		/* domain-specs; NULL when absent */
	char *exp;
};

/* Whether a TXT record is an SPF version 1 record: "v=spf1" alone or
 * followed by a space, case-insensitively (4.5). */
bool spf_record_is_spf(const char *text, size_t len);

/* Parses the record; -1 with a reason in `error` (a static string or one
 * written into `error`) on any syntax error.  *rec is empty on failure. */
int spf_record_parse(const char *text, size_t len, struct spf_record *rec,
		     char *error, size_t error_size);
void spf_record_free(struct spf_record *rec);

#endif
