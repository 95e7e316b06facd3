"""A browser-like client for the lab shop (stdlib only): a cookie jar, the
CSRF token read from each page, JSON delete with X-CSRFToken.
Usage: client.py BASE_URL EMAIL PASSWORD CMD [ARGS]; prints one JSON line.
  login      log in only
  check      login, add two items, list, delete one; report what happened
  forge      attempts without a token / on another user's item
"""
import http.cookiejar
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


class Browser:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        # redirects are followed, as a browser does
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.served = []

    def req(self, path, data=None, headers=None, json_body=None):
        hdrs = dict(headers or {})
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        r = urllib.request.Request(self.base + path, data=body, headers=hdrs)
        try:
            with self.op.open(r, timeout=10) as rsp:
                self.served.append(rsp.headers.get("X-Served-By"))
                return rsp.status, rsp.read().decode()
        except urllib.error.HTTPError as e:
            self.served.append(e.headers.get("X-Served-By"))
            return e.code, e.read().decode()

    def token(self, page):
        m = re.search(r'name="csrf-token" content="([^"]+)"', page)
        return m.group(1) if m else None

    def login(self, email, pw):
        st, page = self.req("/login")
        return self.req("/login", {"csrf_token": self.token(page), "email": email,
                                   "password": pw, "submit": "Login"})

    def items(self):
        st, body = self.req("/carrinho.json")
        return json.loads(body) if st == 200 else None

    def add(self, tipo, qty, local, with_token=True):
        st, page = self.req("/carrinho/")
        data = {"product_type": tipo, "quantity": qty, "local": local, "submit": "Inserir"}
        if with_token:
            data["csrf_token"] = self.token(page)
        return self.req("/carrinho/", data)[0]

    def delete(self, item_id, with_token=True):
        st, page = self.req("/carrinho/")
        hdrs = {"X-CSRFToken": self.token(page)} if with_token else {}
        return self.req("/apagar_artigo", json_body={"id": item_id}, headers=hdrs)[0]


def main():
    base, email, pw, cmd = sys.argv[1:5]
    b = Browser(base)
    out = {}
    if cmd == "login-no-token":
        out["status"] = b.req("/login", {"email": email, "password": pw})[0]
        print(json.dumps(out))
        return
    st, page = b.login(email, pw)
    out["login"] = st
    out["logged_in"] = "O meu carrinho" in page
    if cmd == "login":
        pass
    elif cmd == "check":
        out["add1"] = b.add("arroz", 2, "mercado")
        out["add2"] = b.add("leite", 6, "loja")
        its = b.items()
        out["after_add"] = [i["tipo"] for i in its]
        out["delete"] = b.delete(its[0]["id"])
        out["after_delete"] = [i["tipo"] for i in b.items()]
        out["ids"] = [i["id"] for i in b.items()]
    elif cmd == "forge":
        victim = int(sys.argv[5])
        out["add_no_token"] = b.add("x", 1, "y", with_token=False)
        out["delete_no_token"] = b.delete(victim, with_token=False)
        out["delete_other_users"] = b.delete(victim)
        out["items"] = len(b.items())
    out["served_by"] = sorted(set(s for s in b.served if s))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
