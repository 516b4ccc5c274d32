"""RFC 6238 codes for the demo authenticator key that seed_scale gives approvers."""

import hashlib
import hmac
import struct
import time

DEMO_KEY = bytes.fromhex("3132333435363738393031323334353637383930")


def code(key=DEMO_KEY, at=None, step=30, digits=6):
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)
