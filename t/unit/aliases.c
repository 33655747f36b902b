/* aliases: parsing, expansion, self-reference and loops. */
#include "tap.h"
#include "aliases.h"
#include "buf.h"

#include <stdlib.h>

static bool is_local(void *ctx, const char *domain)
{
	return strcmp(domain, "example.edu") == 0;
}

static const char *expand(struct aliases *a, const char *name,
			  struct buf *out, bool *loop_r)
{
	struct aliases_result r;
	size_t i;

	buf_clear(out);
	if (aliases_expand(a, name, "example.edu", is_local, NULL, &r) == 0)
		return "(none)";
	for (i = 0; i < r.count; i++)
		buf_printf(out, "%s%s", i ? " " : "", r.addresses[i]);
	*loop_r = r.loop;
	aliases_result_deinit(&r);
	return buf_cstr(out);
}

int main(void)
{
	static const char text[] =
		"# comment\n"
		"Postmaster: admin\n"
		"abuse: admin\n"
		"staff: alice, bob,\n"
		"\tcarol@elsewhere.org\n"
		"\n"
		"team: staff, alice, dave@example.edu\n"
		"alice2: alice2, archive\n"
		"loopa: loopb\n"
		"loopb: loopc\n"
		"loopc: loopa\n";
	static const char *const bad[] = {
		"nocolon\n", "a: \n", "a: b\na: c\n", "a: |/bin/sh\n",
		"a: /etc/passwd\n", "a: :include:/x\n", "  cont: x\n",
		"a b: c\n",
	};
	struct aliases *a = aliases_new_empty();
	struct buf out = BUF_INIT;
	const char *error;
	bool loop = false;
	size_t i;

	ok(aliases_parse(a, text, strlen(text), &error) == 0, "parses");
	ok(aliases_has(a, "postmaster"), "names are case-insensitive");
	is_str(expand(a, "staff", &out, &loop),
	       "alice@example.edu bob@example.edu carol@elsewhere.org",
	       "continuation lines, remote target kept");
	ok(!loop, "no loop");
	is_str(expand(a, "team", &out, &loop),
	       "alice@example.edu bob@example.edu carol@elsewhere.org "
	       "dave@example.edu", "nested, duplicates dropped");
	is_str(expand(a, "alice2", &out, &loop),
	       "alice2@example.edu archive@example.edu",
	       "a name listing itself is the user");
	ok(!loop, "and no loop");
	expand(a, "loopa", &out, &loop);
	ok(loop, "a cycle is a loop");
	is_str(expand(a, "nobody", &out, &loop), "(none)", "not an alias");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(aliases_parse(a, bad[i], strlen(bad[i]), &error) < 0,
		   "bad file refused");
	ok(aliases_has(a, "staff"), "a bad file keeps the old table");
	buf_free(&out);
	aliases_free(&a);
	return tap_done();
}
