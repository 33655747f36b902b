/* Unit tests for libmail/public_suffix.c: the list's algorithm (normal,
 * wildcard and exception rules, the implicit "*") on a small hand-written
 * list, the parser's errors, and the installed list. */
#include "tap.h"
#include "buf.h"
#include "public_suffix.h"

#include <string.h>
#include <unistd.h>

static const char list[] =
	"// a comment line\n"
	"\n"
	"com\n"
	"uk\n"
	"co.uk   trailing words are ignored\n"
	"  *.ck\n"
	"!www.ck\n"
	"jp\n"
	"*.kawasaki.jp\n"
	"!city.kawasaki.jp\n"
	"Example.Test\n"
	"\xe5\x85\xac\xe5\x8f\xb8.cn\n";

static const struct {
	const char *domain;
	const char *org;	/* NULL: -1 */
} cases[] = {
	{ "example.com", "example.com" },
	{ "www.example.com", "example.com" },
	{ "a.b.c.example.com", "example.com" },
	{ "com", "com" },			/* a suffix is its own */
	{ "example.co.uk", "example.co.uk" },
	{ "a.b.example.co.uk", "example.co.uk" },
	{ "co.uk", "co.uk" },
	{ "example.uk", "example.uk" },
	{ "foo.ck", "foo.ck" },			/* *.ck: foo.ck is a suffix */
	{ "b.foo.ck", "b.foo.ck" },
	{ "a.b.foo.ck", "b.foo.ck" },
	{ "www.ck", "www.ck" },			/* !www.ck: the suffix is ck */
	{ "a.www.ck", "www.ck" },
	{ "x.kawasaki.jp", "x.kawasaki.jp" },
	{ "a.x.kawasaki.jp", "a.x.kawasaki.jp" },
	{ "b.a.x.kawasaki.jp", "a.x.kawasaki.jp" },
	{ "city.kawasaki.jp", "city.kawasaki.jp" },
	{ "a.city.kawasaki.jp", "city.kawasaki.jp" },
	{ "example.jp", "example.jp" },
	{ "example.nosuchtld", "example.nosuchtld" },	/* implicit "*" */
	{ "a.example.nosuchtld", "example.nosuchtld" },
	{ "nosuchtld", "nosuchtld" },
	{ "WWW.Example.COM.", "example.com" },	/* case, trailing dot */
	{ "x.y.example.test", "y.example.test" },	/* rules lower-cased */
	{ "a.b.\xe5\x85\xac\xe5\x8f\xb8.cn", "b.\xe5\x85\xac\xe5\x8f\xb8.cn" },
	{ "", NULL },
	{ ".", NULL },
	{ ".example.com", NULL },
	{ "a..example.com", NULL },
};

int main(void)
{
	struct public_suffix *psl = NULL, *real = NULL;
	const char *error;
	char out[256], name[300];
	size_t i;

	ok(public_suffix_parse(list, strlen(list), &psl, &error) == 0,
	   "the test list parses");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = public_suffix_org_domain(psl, cases[i].domain, out,
						 sizeof(out));

		(void)str_format(name, sizeof(name), "org domain of '%s'",
				 cases[i].domain);
		if (cases[i].org == NULL) {
			ok(r < 0, name);
		} else {
			ok(r == 0, name);
			is_str(out, cases[i].org, name);
		}
	}
	ok(public_suffix_org_domain(psl, "www.example.com", out, 5) < 0,
	   "a result that does not fit is an error");
	public_suffix_free(&psl);
	ok(psl == NULL, "free clears the pointer");

	ok(public_suffix_parse("com\nbad rule..x\n", 16, &psl, &error) == 0,
	   "words after the rule are ignored");
	public_suffix_free(&psl);
	ok(public_suffix_parse("com\n..x\n", 8, &psl, &error) < 0 &&
	   strstr(error, "line 2") != NULL, "a bad rule names its line");
	ok(public_suffix_parse("com\nex ample!.com\n", 18, &psl, &error) == 0,
	   "only the first word counts");
	public_suffix_free(&psl);
	ok(public_suffix_parse("a$b.com\n", 8, &psl, &error) < 0,
	   "a rule with a bad character is refused");
	ok(public_suffix_load("/nonexistent/psl.dat", &psl, &error) < 0 &&
	   strstr(error, "/nonexistent/psl.dat") != NULL,
	   "a missing file names itself");

	/* The list the package installs (mk/deps). */
	ok(public_suffix_load("/usr/share/publicsuffix/public_suffix_list.dat",
			      &real, &error) == 0, "the installed list loads");
	if (real != NULL) {
		ok(public_suffix_org_domain(real, "mail.example.co.uk", out,
					    sizeof(out)) == 0 &&
		   strcmp(out, "example.co.uk") == 0, "co.uk in the real list");
		ok(public_suffix_org_domain(real, "a.b.example.com", out,
					    sizeof(out)) == 0 &&
		   strcmp(out, "example.com") == 0, "com in the real list");
	}
	public_suffix_free(&real);
	return tap_done();
}
