PROGRAMS += sealpost
sealpost_SRCS := master/sealpost.c master/cli_config.c master/master_main.c \
  master/master_service.c master/master_services.c master/master_listen.c \
  master/cli_dev.c master/dev_realm.c master/dev_tls.c \
  master/cli_auth.c master/cli_store.c \
  master/cli_reconstruct.c master/cli_quota.c

PROGRAMS += authd
authd_SRCS := master/authd_main.c master/authd_conn.c master/authd_krb5.c \
  master/authd_gssapi.c master/authd_password.c
