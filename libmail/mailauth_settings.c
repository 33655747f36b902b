#include "mailauth_settings.h"

#include <stddef.h>

#define F(field) offsetof(struct mailauth_settings, field)

static const struct config_key mailauth_keys[] = {
	{ "spf_timeout", CONFIG_TIME, "20s", 1, 300, F(spf_timeout),
	  "The longest one SPF check (RFC 7208) may take, all its DNS "
	  "lookups together; a check still running then gives temperror.  "
	  "RFC 7208 4.6.4 asks for at least 20 seconds.  Each lookup is "
	  "also bounded by dns_timeout." },
	{ "public_suffix_list", CONFIG_STRING,
	  "/usr/share/publicsuffix/public_suffix_list.dat", 0, 0,
	  F(public_suffix_list),
	  "The Public Suffix List file (publicsuffix.org format, as Debian's "
	  "publicsuffix package installs it), from which DMARC (RFC 7489 "
	  "3.2) finds a domain's organizational domain for its policy "
	  "lookup and for relaxed alignment." },
	{ "dmarc_reject", CONFIG_BOOL, "no", 0, 0, F(dmarc_reject),
	  "What smtpd does with a message that fails DMARC when the From "
	  "domain publishes p=reject.  no: accept it and only record the "
	  "failure (in the log and the Authentication-Results header), as "
	  "mailing lists break DMARC for legitimate mail.  yes: refuse it "
	  "at the end of DATA with 550 5.7.1.  p=quarantine is always only "
	  "recorded.  sealpost dmarc shows the choice as its action "
	  "field." },
};

const struct config_table mailauth_config_table = {
	"mailauth", "SPF and DMARC checks of received mail.",
	CONFIG_KEYS(mailauth_keys)
};
