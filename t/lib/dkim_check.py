#!/usr/bin/python3
# An independent DKIM verifier for the tests: dkimpy (python3-dkim, with
# python3-nacl for Ed25519) asking the test's loopback DNS server.
# usage: dkim_check.py DNS_PORT MESSAGE_FILE
# Prints "N pass" or "N fail" for each DKIM-Signature, from the top.
import sys

import dkim
import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ['127.0.0.1']
resolver.port = int(sys.argv[1])


def lookup(name, timeout=5):
    try:
        answer = resolver.resolve(name.decode().rstrip('.'), 'TXT',
                                  lifetime=timeout)
    except Exception:
        return None
    return b''.join(answer[0].strings)


with open(sys.argv[2], 'rb') as f:
    message = f.read()
d = dkim.DKIM(message)
count = sum(1 for name, _ in d.headers if name.lower() == b'dkim-signature')
for i in range(count):
    ok = d.verify(i, dnsfunc=lookup)
    print(i, 'pass' if ok else 'fail')
