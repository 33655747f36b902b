/* queue_file: write, read back, record outcomes, torn tails, corruption. */
#include "tap.h"
#include "buf.h"
#include "queue_file.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/queue_file_test.XXXXXX";

static char *write_one(const char *message, struct queue_envelope *env)
{
	struct queue_writer *w;
	const char *error;

	memset(env, 0, sizeof(*env));
	env->sender = xstrdup("a b@example.org");
	env->envid = xstrdup("env=1");
	env->ret = 2;
	env->smtputf8 = true;
	queue_envelope_add_rcpt(env, "alice@example.edu", "staff@example.edu",
				4, "rfc822", "staff@example.edu", 0);
	queue_envelope_add_rcpt(env, "x y@example.edu", NULL, 0, NULL, NULL,
				QUEUE_RCPT_FLAG_LOOP);
	if (queue_writer_begin(dir, env, &w, &error) < 0)
		return NULL;
	queue_writer_write(w, message, strlen(message));
	if (queue_writer_finish(&w, QUEUE_INCOMING, &error) < 0)
		return NULL;
	return queue_path(dir, QUEUE_INCOMING, env->id);
}

static void append_raw(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			ok(0, "append");
		close(fd);
	}
}

int main(void)
{
	struct queue_envelope env;
	struct queue_file *qf;
	const char *error;
	char id[QUEUE_ID_SIZE], id2[QUEUE_ID_SIZE], msg[64];
	char *path;
	bool corrupt;
	ssize_t n;

	ok(mkdtemp(dir) != NULL, "temp dir");
	ok(queue_dirs_create(dir, &error) == 0, "queue folders");

	queue_id_new(id);
	queue_id_new(id2);
	ok(queue_id_valid(id), "new IDs are valid");
	ok(strcmp(id, id2) < 0 || strcmp(id, id2) != 0, "and distinct");
	ok(!queue_id_valid("../../etc/passw"), "a path is no ID");
	ok(!queue_id_valid("0000000000000Z"), "too short");
	ok(!queue_id_valid("0000000000000ZU"), "U is not Crockford base32");

	path = write_one("Subject: x\r\n\r\nbody\r\n", &env);
	ok(path != NULL, "written and linked into incoming/");
	ok(queue_file_open(path, true, NULL, &qf, &corrupt, &error) == 0,
	   "read back");
	is_str(qf->env.id, env.id, "id");
	is_str(qf->env.sender, "a b@example.org", "sender with a space");
	is_str(qf->env.envid, "env=1", "envid");
	is_int(qf->env.ret, 2, "ret");
	ok(qf->env.smtputf8, "smtputf8");
	is_int(qf->env.rcpt_count, 2, "two recipients");
	is_str(qf->env.rcpts[0].orig, "staff@example.edu", "orig");
	is_str(qf->env.rcpts[0].orcpt, "staff@example.edu", "orcpt");
	is_int(qf->env.rcpts[0].notify, 4, "notify");
	is_int(qf->env.rcpts[1].flags, QUEUE_RCPT_FLAG_LOOP, "loop flag");
	is_int(qf->env.message_size, 20, "message size");
	n = queue_file_read_message(qf, 0, msg, sizeof(msg));
	is_int(n, 20, "message read");
	ok(n == 20 && memcmp(msg, "Subject: x\r\n\r\nbody\r\n", 20) == 0,
	   "message intact");
	ok(queue_file_set_status(qf, 0, 'D', "250 2.0.0 Ok", &error) == 0,
	   "status recorded");
	ok(queue_file_set_status(qf, 1, 'T', "451 4.4.1 later", &error) == 0,
	   "deferral recorded");
	ok(queue_file_sync(qf, &error) == 0, "synced");
	queue_file_close(&qf);

	/* Header records: delivered first, counted in the size; a
	 * status appended later goes after them. */
	{
		struct queue_envelope env2;
		struct queue_writer *w;
		char *p2;

		memset(&env2, 0, sizeof(env2));
		env2.sender = xstrdup("");
		env2.trusted = true;
		queue_envelope_add_rcpt(&env2, "bob@example.edu", NULL, 0,
					NULL, NULL, 0);
		ok(queue_writer_begin(dir, &env2, &w, &error) == 0, "begin");
		queue_writer_write(w, "S: y\r\n\r\nb\r\n", 11);
		queue_writer_add_header(w, "A-R: x; dkim=pass\r\n");
		ok(queue_writer_finish(&w, QUEUE_INCOMING, &error) == 0,
		   "file with a header record");
		p2 = queue_path(dir, QUEUE_INCOMING, env2.id);
		ok(queue_file_open(p2, true, NULL, &qf, &corrupt, &error) == 0,
		   "read back");
		ok(qf->env.trusted, "trusted flag");
		is_int(qf->env.message_size, 11 + 19, "size counts the field");
		n = queue_file_read_message(qf, 0, msg, sizeof(msg));
		ok(n == 19 && memcmp(msg, "A-R: x; dkim=pass\r\n", 19) == 0,
		   "the field comes first");
		n = queue_file_read_message(qf, 19, msg, sizeof(msg));
		ok(n == 11 && memcmp(msg, "S: y\r\n\r\nb\r\n", 11) == 0,
		   "then the message");
		queue_file_prepend(qf, "D: 1\r\n", 6);
		n = queue_file_read_message(qf, 0, msg, sizeof(msg));
		ok(n == 25 && memcmp(msg, "D: 1\r\nA-R", 9) == 0 &&
		   qf->env.message_size == 36, "prepend in memory goes first");
		ok(queue_file_set_status(qf, 0, 'D', "250 ok", &error) == 0 &&
		   queue_file_sync(qf, &error) == 0, "status after it");
		queue_file_close(&qf);
		ok(queue_file_open(p2, true, NULL, &qf, &corrupt, &error) == 0 &&
		   qf->env.rcpts[0].state == QUEUE_RCPT_DELIVERED &&
		   qf->env.message_size == 30, "status and field read back");
		queue_file_close(&qf);
		append_raw(p2, "header +ZZ\n");
		ok(queue_file_open(p2, true, NULL, &qf, &corrupt, &error) < 0 &&
		   corrupt, "a bad header record is corrupt");
		queue_envelope_deinit(&env2);
		free(p2);
	}

	append_raw(path, "status 1 F 550");	/* torn: no LF */
	ok(queue_file_open(path, true, NULL, &qf, &corrupt, &error) == 0,
	   "a torn last record is ignored");
	is_int(qf->env.rcpts[0].state, QUEUE_RCPT_DELIVERED, "delivered kept");
	is_int(qf->env.rcpts[1].state, QUEUE_RCPT_PENDING, "deferral is not final");
	is_str(qf->env.rcpts[1].reply, "451 4.4.1 later", "its reason kept");
	ok(queue_file_set_status(qf, 1, 'F', "550 5.1.1 no", &error) == 0,
	   "append over the torn tail");
	queue_file_close(&qf);
	ok(queue_file_open(path, false, NULL, &qf, &corrupt, &error) == 0,
	   "read again");
	is_int(qf->env.rcpts[1].state, QUEUE_RCPT_FAILED, "failure recorded");
	queue_file_close(&qf);

	append_raw(path, "status 9 D x\n");
	ok(queue_file_open(path, false, NULL, &qf, &corrupt, &error) < 0 &&
	   corrupt, "a status for a recipient that does not exist: corrupt");

	{
		static const char *const bad[] = {
			"",
			"sealpost-queue 2\n",
			"sealpost-queue 1\nid 0000000000000ZZ\nfrom \nrcpt a a 0 - -\nmessage 000000000005\nab",
			"sealpost-queue 1\nid 0000000000000ZZ\nfrom \nmessage 000000000000\nend\n",
			"sealpost-queue 1\nid 0000000000000ZZ\nfrom \nrcpt a a 0 - -\nbogus 1\nmessage 000000000000\nend\n",
			"sealpost-queue 1\nid 0000000000000ZZ\nfrom \nrcpt a a 99 - -\nmessage 000000000000\nend\n",
			"sealpost-queue 1\nid 0000000000000ZZ\nfrom \nrcpt a a 0 - -\nmessage 999999999999\nend\n",
		};
		size_t i;
		char *bpath = queue_path(dir, QUEUE_HOLD, "0000000000000ZZ");

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			int fd = open(bpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);

			if (write(fd, bad[i], strlen(bad[i])) < 0)
				ok(0, "write");
			close(fd);
			ok(queue_file_open(bpath, false, NULL, &qf, &corrupt,
					   &error) < 0 && corrupt,
			   "corrupt file refused");
		}
		free(bpath);
	}
	{
		/* Group commit's steps: end, sync (or one syncfs for many),
		 * link.  Nothing is visible in incoming/ before the link, and
		 * tmp/ keeps nothing after it, whether it worked or not. */
		struct queue_envelope genv;
		struct queue_writer *w;
		struct buf tmp_path = BUF_INIT;
		char *tmp, *final;
		struct stat st;

		memset(&genv, 0, sizeof(genv));
		genv.sender = xstrdup("");
		queue_envelope_add_rcpt(&genv, "bob@example.edu", NULL, 0,
					NULL, NULL, 0);
		ok(queue_writer_begin(dir, &genv, &w, &error) == 0, "begin");
		queue_writer_write(w, "Subject: g\r\n\r\nx\r\n", 17);
		buf_printf(&tmp_path, "%s/tmp/%s", dir, genv.id);
		tmp = buf_steal(&tmp_path);
		final = queue_path(dir, QUEUE_INCOMING, genv.id);
		ok(queue_writer_end(w, &error) == 0, "end");
		ok(stat(final, &st) < 0, "not visible after end");
		ok(queue_writer_fd(w) >= 0 && syncfs(queue_writer_fd(w)) == 0,
		   "syncfs on the writer's fd");
		ok(queue_writer_sync(w, &error) == 0, "sync");
		ok(stat(final, &st) < 0, "not visible after sync");
		ok(queue_writer_link(&w, QUEUE_INCOMING, &error) == 0 &&
		   w == NULL, "link frees the writer");
		ok(stat(final, &st) == 0 && stat(tmp, &st) < 0,
		   "visible in incoming/, gone from tmp/");
		ok(queue_file_open(final, false, NULL, &qf, &corrupt,
				   &error) == 0 && qf->env.message_size == 17,
		   "and complete");
		queue_file_close(&qf);

		/* The same ID again: link(2) refuses to replace a file. */
		ok(queue_writer_begin(dir, &genv, &w, &error) == 0,
		   "begin with an ID that is taken in incoming/");
		ok(queue_writer_end(w, &error) == 0 &&
		   queue_writer_sync(w, &error) == 0, "end and sync");
		ok(queue_writer_link(&w, QUEUE_INCOMING, &error) < 0 &&
		   w == NULL, "link fails and frees the writer");
		ok(stat(tmp, &st) < 0, "and removes the file from tmp/");
		free(tmp);
		free(final);
		queue_envelope_deinit(&genv);
	}
	queue_envelope_deinit(&env);
	free(path);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		ok(system(cmd) == 0, "cleaned up");
	}
	return tap_done();
}
