"""A shop user who keeps working through failures: logs in once through the
web VIP, then adds one item every PERIOD seconds until DURATION is over,
with one session (cookie jar) all along. Writes every item whose add was
acknowledged (the cart page came back listing it) to ACKED, and a log line
per request (time, ok, status) to LOG; prints a JSON summary.
Usage: writer.py BASE_URL EMAIL PASSWORD DURATION PERIOD ACKED LOG"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lab_shop"))
from client import Browser  # noqa: E402


def main():
    base, email, pw, duration, period, acked, logf = sys.argv[1:8]
    b = Browser(base)
    st, page = b.login(email, pw)
    if "O meu carrinho" not in page:
        print(json.dumps({"error": "login failed", "status": st}))
        return 1
    end = time.monotonic() + float(duration)
    n = ok = relogins = 0
    with open(acked, "w") as ack, open(logf, "w") as log:
        while time.monotonic() < end:
            n += 1
            name = "item-%05d" % n
            t = time.time()
            try:
                st, page = b.req("/carrinho/")
                tok = b.token(page)
                if "Login" in page and tok and "login-form" in page:
                    relogins += 1  # the session was lost: a user would have to log in again
                    b.login(email, pw)
                    st, page = b.req("/carrinho/")
                    tok = b.token(page)
                st, page = b.req("/carrinho/", {"csrf_token": tok, "product_type": name,
                                                "quantity": 1, "local": "lab", "submit": "Inserir"})
                good = st == 200 and name in page
            except Exception as e:  # a refused or reset connection
                st, good = type(e).__name__, False
            if good:
                ok += 1
                ack.write(name + "\n")
                ack.flush()
            log.write("%.3f %d %s\n" % (t, good, st))
            log.flush()
            time.sleep(float(period))
    print(json.dumps({"requests": n, "acknowledged": ok, "failed": n - ok, "relogins": relogins}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
