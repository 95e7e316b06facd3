#!/usr/bin/env python3
"""The lab guide's web shop in miniature: a login form (POST + redirect +
session cookie) and a cart whose items can be added and deleted. Both web
servers share the secret key, so the signed session cookie is valid on
either, as in the guide's two-server setup. Every response names the
server in X-Server.

usage: flaskapp.py PORT NAME [werkzeug|waitress]
Werkzeug's development server (the default, as the guide runs Flask)
answers "Connection: close" to every request; waitress (Debian's
python3-waitress) keeps connections alive, so server-side reuse shows.
"""
import sys

from flask import Flask, redirect, request, session, url_for

PORT, NAME = int(sys.argv[1]), sys.argv[2]
app = Flask(__name__)
app.secret_key = b"lbkit-lab-shared-secret"


@app.after_request
def tag(resp):
    resp.headers["X-Server"] = NAME
    return resp


@app.route("/")
def index():
    if "user" not in session:
        return redirect(url_for("login"))
    items = session.get("items", [])
    return "user=%s items=%s server=%s\n" % (session["user"], ",".join(items), NAME)


@app.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "POST":
        if request.form.get("password") != "secret":
            return "bad credentials\n", 403
        session["user"] = request.form["username"]
        session["items"] = []
        return redirect(url_for("index"))
    return ('<form method="post"><input name="username"><input name="password" '
            'type="password"><button>Login</button></form>\n')


@app.route("/add", methods=["POST"])
def add():
    if "user" not in session:
        return "login first\n", 401
    session["items"] = session.get("items", []) + [request.form["item"]]
    return redirect(url_for("index"))


@app.route("/delete", methods=["POST"])
def delete():
    items = session.get("items", [])
    if request.form["item"] in items:
        items.remove(request.form["item"])
    session["items"] = items
    return redirect(url_for("index"))


@app.route("/conn")
def conn():
    # the proxy's side of this connection: one port per server connection
    return "%s %s\n" % (NAME, request.environ.get("REMOTE_PORT"))


@app.route("/whoami")
def whoami():
    return NAME + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[3] == "waitress":
        import waitress
        waitress.serve(app, host="127.0.0.1", port=PORT, threads=8, _quiet=True)
    else:
        import logging
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app.run(host="127.0.0.1", port=PORT, threaded=True)
