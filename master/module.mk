PROGRAMS += sealpost
sealpost_SRCS := master/sealpost.c master/cli_config.c
