#ifndef SEALPOST_SENDMAIL_H
#define SEALPOST_SENDMAIL_H

/*
 * sendmail(1) and mailq(1): the local injector every Unix program
 * expects.  It is not setuid: it hands the message to the queue manager
 * over the queue socket (see queue_client.h), which writes the queue file.
 */

/* `sendmail ARGS`; returns the exit status (EX_* of sysexits). */
int sendmail_run(int argc, char **argv);

/* `mailq`, the same as `sendmail -bp`. */
int sendmail_mailq(int argc, char **argv);

#endif
