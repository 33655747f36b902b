PROGRAMS += sealpost
sealpost_SRCS := master/sealpost.c master/cli_config.c master/master_main.c \
  master/master_service.c master/master_services.c master/master_listen.c \
  master/cli_dev.c master/dev_realm.c master/dev_tls.c master/dev_dkim.c \
  master/cli_auth.c master/cli_store.c \
  master/cli_reconstruct.c master/cli_mailauth.c \
  master/cli_import.c master/cli_export.c master/cli_mailfile.c \
  master/cli_reader.c master/cli_setup.c imapd/imap_arg.c \
  master/cli_dkim.c \
  master/cli_quota.c

PROGRAMS += authd
authd_SRCS := master/authd_main.c master/authd_conn.c master/authd_krb5.c \
  master/authd_gssapi.c master/authd_password.c master/authd_cache.c

# sealpost acl (access control lists).
sealpost_SRCS += master/cli_acl.c
