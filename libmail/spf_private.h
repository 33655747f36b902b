#ifndef SEALPOST_SPF_PRIVATE_H
#define SEALPOST_SPF_PRIVATE_H

/* What spf.c (a check's life, its frames, the term loop) shares with
 * spf_mech.c (the terms that wait for DNS, and explanations). */

#include "spf.h"
#include "spf_macro.h"
#include "spf_record.h"
#include "buf.h"
#include "dns.h"

/* Every include costs a lookup, so the limit bounds the nesting. */
#define SPF_DEPTH_MAX (SPF_LOOKUP_MAX + 2)

enum spf_wait {
	SPF_WAIT_NONE,
	SPF_WAIT_RECORD,	/* TXT of a frame's domain */
	SPF_WAIT_A,		/* "a" */
	SPF_WAIT_MX,		/* "mx": the MX names */
	SPF_WAIT_MX_ADDR,	/* "mx": one name's addresses */
	SPF_WAIT_PTR,		/* "ptr": the client's names */
	SPF_WAIT_PTR_ADDR,	/* "ptr": one name's addresses */
	SPF_WAIT_EXISTS,	/* "exists" */
	SPF_WAIT_EXP,		/* exp=: the explanation's TXT */
};

struct spf_frame {
	char domain[DNS_NAME_SIZE];
	struct spf_record rec;
	size_t next;		/* the next term to evaluate */
	bool redirected;	/* reached through redirect= */
};

struct spf {
	struct event_loop *loop;
	struct dns *dns;
	struct spf_settings set;
	struct spf_check *checks;
};

struct spf_check {
	struct spf *spf;
	struct spf_check *prev, *next;
	spf_fn *fn;
	void *ctx;
	struct spf_ip ip;
	char *sender;
	char helo[DNS_NAME_SIZE];
	enum spf_identity identity;
	char identity_domain[DNS_NAME_SIZE];
	struct spf_frame frames[SPF_DEPTH_MAX];
	size_t depth;
	unsigned int lookups, voids;
	struct dns_req *req;
	enum spf_wait wait;
	/* mx and ptr: the names whose addresses are looked up in turn. */
	char names[SPF_PTR_MAX > SPF_MX_MAX ? SPF_PTR_MAX : SPF_MX_MAX]
		[DNS_NAME_SIZE];
	size_t name_count, name_next;
	const struct spf_term *term;	/* the term waiting for DNS */
	struct event_timer *deadline;
	struct event_timer *deliver;
	bool done;
	struct spf_answer answer;
	char mechanism[128];
	struct buf explanation;
	char problem[256];
};

/* spf.c */
void spf_finish(struct spf_check *c, enum spf_result result,
		const char *problem);
void spf_problem(struct spf_check *c, const char *what, const char *detail);
struct spf_frame *spf_top(struct spf_check *c);
void spf_macro_env(struct spf_check *c, struct spf_macro_env *env);
bool spf_ip_match(const struct spf_ip *ip, int family,
		  const unsigned char *addr, unsigned int cidr4,
		  unsigned int cidr6);
enum dns_type spf_addr_type(const struct spf_check *c);
void spf_lookup(struct spf_check *c, enum spf_wait wait, const char *name,
		enum dns_type type);
bool spf_count_lookup(struct spf_check *c);
bool spf_count_void(struct spf_check *c);
bool spf_target(struct spf_check *c, const char *spec,
		char out[DNS_NAME_SIZE]);
void spf_enter(struct spf_check *c, const char *domain, bool push,
	       bool redirected);
void spf_match(struct spf_check *c, const struct spf_term *t);
void spf_on_record(struct spf_check *c, const struct dns_rr_result *res);
void spf_run(struct spf_check *c);

/* spf_mech.c */
void spf_on_dns(void *ctx, const struct dns_rr_result *res);
void spf_term_lookup(struct spf_check *c, const struct spf_term *t);
void spf_explain(struct spf_check *c);
void spf_default_explanation(struct spf_check *c);

#endif
