#ifndef SEALPOST_LMTPD_H
#define SEALPOST_LMTPD_H

/* Runs lmtpd as the master starts it (see worker.h); returns the exit
 * status. */
int lmtpd_run(int argc, char **argv);

#endif
