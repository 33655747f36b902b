PROGRAMS += smtpd
smtpd_SRCS := smtpd/smtpd_main.c smtpd/smtpd.c smtpd/smtpd_session.c \
  smtpd/smtpd_cmd_ehlo.c smtpd/smtpd_cmd_starttls.c smtpd/smtpd_cmd_auth.c \
  smtpd/smtpd_cmd_mail.c smtpd/smtpd_cmd_rcpt.c smtpd/smtpd_cmd_data.c \
  smtpd/smtpd_commit.c smtpd/smtpd_policy.c smtpd/smtpd_received.c \
  smtpd/smtpd_dkim.c smtpd/smtpd_mailauth.c

PROGRAMS += sendmail mailq
sendmail_SRCS := smtpd/sendmail_main.c smtpd/sendmail.c
mailq_SRCS := smtpd/mailq_main.c smtpd/sendmail.c
