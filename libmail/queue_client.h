#ifndef SEALPOST_QUEUE_CLIENT_H
#define SEALPOST_QUEUE_CLIENT_H

/*
 * The client side of qmgr's queue socket (see queue/qmgr_control.c), for
 * sendmail(1), mailq(1) and `sealpost queue`.  Blocking, with a timeout:
 * these are command-line programs.
 */

#include <stddef.h>
#include <stdio.h>

struct config;

/* Connects to the queue socket named by the config.  The fd, or -1 with a
 * reason (static storage). */
int queue_client_connect(const struct config *cfg, const char **error_r);

/* Sends `command` (one line, no LF) and appends everything the queue
 * manager answers, until it closes, to `answer`.  0 or -1. */
struct buf;
int queue_client_request(int fd, const char *command, struct buf *answer,
			 const char **error_r);

/* Sends `command` ("LIST", "FLUSH") and copies the answer to `out`.  0 or
 * -1. */
int queue_client_command(int fd, const char *command, FILE *out,
			 const char **error_r);

/*
 * Hands a message to the queue: `sender` ("" for <>), `rcpts`, and the
 * message (CRLF line ends).  On success copies the queue ID into `id`
 * (QUEUE_ID_SIZE bytes).  0, or -1 with a reason.
 */
int queue_client_submit(int fd, const char *sender, char *const *rcpts,
			size_t rcpt_count, const void *message, size_t size,
			char *id, size_t id_size, const char **error_r);

#endif
