#ifndef SEALPOST_IMAP_AUTH_H
#define SEALPOST_IMAP_AUTH_H

/*
 * The SASL relay between a session and authd (auth_client.h), shared by
 * LOGIN (a PLAIN exchange made from the two arguments) and AUTHENTICATE.
 * Challenges go to the client as "+ base64", its answers come back as
 * lines; the verdict logs the session in or fails it after a delay.
 */

#include <stdbool.h>
#include <stddef.h>

struct imap_client;

/* Starts an exchange for the running command.  `ir` is the initial
 * response (NULL for none).  The command is answered from the loop. */
void imap_auth_begin(struct imap_client *c, const char *mech, const void *ir,
		     size_t ir_len);

#endif
