"""The lab's shopping-cart web application ("carrinho"), written for lbkit.

What the lab guide's application does: a user logs in, lists the items of
their cart, adds items (type, quantity, where to buy) and deletes them.
What this version does differently, on purpose:
  - passwords are stored as salted hashes (werkzeug), and `shop.py
    add-user` creates users (the guide inserts plaintext passwords its own
    login cannot accept);
  - a user can delete only their own items (the guide deletes any id);
  - every form and the JSON delete call carry a CSRF token (Flask-WTF);
  - the secret key and the database come from the environment: DB_HOST is
    an SQLAlchemy URL as in the guide (mysql+pymysql://user:pw@host/db),
    and without it the shop uses SQLite (SHOP_SQLITE, default
    /tmp/lbkit-shop.db), so it runs on one machine without MariaDB.
Every answer carries X-Served-By (the SHOP_NAME of the node) so that tests
and the lab see which web server answered through the load balancer.

Run: SHOP_SECRET=... python3 shop.py serve HOST PORT   (waitress if present)
     python3 shop.py add-user EMAIL NAME PASSWORD
"""
import os
import sys

from flask import Flask, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import (LoginManager, UserMixin, current_user, login_required, login_user,
                         logout_user)
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import IntegerField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

app = Flask(__name__)
secret = os.environ.get("SHOP_SECRET")
if not secret:
    # a fixed default would let anyone forge sessions: refuse to start
    sys.exit("shop: set SHOP_SECRET (a long random string, the same on every web server)")
app.config.update(
    SECRET_KEY=secret,
    SQLALCHEMY_DATABASE_URI=os.environ.get("DB_HOST")
    or "sqlite:///" + os.environ.get("SHOP_SQLITE", "/tmp/lbkit-shop.db"),
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_recycle": 60},
    SESSION_COOKIE_HTTPONLY=True,
    SESSION_COOKIE_SAMESITE="Lax",
    WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session
)
db = SQLAlchemy(app)
csrf = CSRFProtect(app)
login = LoginManager(app)
login.login_view = "login_page"
NODE = os.environ.get("SHOP_NAME", "shop")


class Customer(UserMixin, db.Model):
    __tablename__ = "clientes"
    id_cliente = db.Column(db.Integer, primary_key=True)
    nome = db.Column(db.String(64), index=True, unique=True)
    email = db.Column(db.String(120), index=True, unique=True)
    password = db.Column(db.String(256))  # a werkzeug hash, never the password

    def get_id(self):
        return str(self.id_cliente)


class Item(db.Model):
    __tablename__ = "compras"
    id_compras = db.Column(db.Integer, primary_key=True)
    tipo = db.Column(db.String(140))
    quantidade = db.Column(db.Integer)
    local = db.Column(db.String(140))
    id_cliente = db.Column(db.Integer, db.ForeignKey("clientes.id_cliente"), index=True)


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired(), Length(max=120)])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Login")


class ItemForm(FlaskForm):
    product_type = StringField("Tipo", validators=[DataRequired(), Length(max=140)])
    quantity = IntegerField("Quantidade", validators=[DataRequired(), NumberRange(1, 10**6)])
    local = StringField("Local de Compra", validators=[DataRequired(), Length(max=140)])
    submit = SubmitField("Inserir")


@login.user_loader
def load_user(uid):
    return db.session.get(Customer, int(uid))


@app.after_request
def served_by(rsp):
    rsp.headers["X-Served-By"] = NODE
    return rsp


@app.route("/")
def index():
    return render_template("index.html", node=NODE)


@app.route("/health")
def health():
    """For option httpchk: 200 only when the database answers."""
    db.session.execute(db.text("SELECT 1"))
    return "ok\n"


@app.route("/login", methods=["GET", "POST"])
def login_page():
    if current_user.is_authenticated:
        return redirect(url_for("cart"))
    form = LoginForm()
    if form.validate_on_submit():
        user = Customer.query.filter_by(email=form.email.data).first()
        if user is None or not check_password_hash(user.password, form.password.data):
            flash("Login invalido", "danger")
            return redirect(url_for("login_page"))
        login_user(user)
        return redirect(url_for("cart"))
    return render_template("login.html", form=form, node=NODE)


@app.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    return redirect(url_for("index"))


@app.route("/carrinho/", methods=["GET", "POST"])
@login_required
def cart():
    form = ItemForm()
    if form.validate_on_submit():
        db.session.add(Item(tipo=form.product_type.data, quantidade=form.quantity.data,
                            local=form.local.data, id_cliente=current_user.id_cliente))
        db.session.commit()
        return redirect(url_for("cart"))
    items = Item.query.filter_by(id_cliente=current_user.id_cliente).order_by(Item.id_compras)
    return render_template("cart.html", form=form, items=items.all(), node=NODE)


@app.route("/carrinho.json")
@login_required
def cart_json():
    items = Item.query.filter_by(id_cliente=current_user.id_cliente).order_by(Item.id_compras)
    return jsonify([{"id": i.id_compras, "tipo": i.tipo, "quantidade": i.quantidade,
                     "local": i.local} for i in items])


@app.route("/apagar_artigo", methods=["POST"])
@login_required
def delete_item():
    """JSON {"id": N} with the CSRF token in X-CSRFToken. Deletes only an
    item of the logged-in user: another user's id is answered 404."""
    body = request.get_json(silent=True) or {}
    try:
        item_id = int(body.get("id"))
    except (TypeError, ValueError):
        abort(400)
    n = Item.query.filter_by(id_compras=item_id, id_cliente=current_user.id_cliente).delete()
    db.session.commit()
    if n == 0:
        abort(404)
    return jsonify({"deleted": item_id})


def add_user(email, name, password):
    with app.app_context():
        db.create_all()
        user = Customer.query.filter_by(email=email).first() or Customer(email=email)
        user.nome = name
        user.password = generate_password_hash(password)
        db.session.add(user)
        db.session.commit()


def main(argv):
    if len(argv) >= 2 and argv[1] == "add-user" and len(argv) == 5:
        add_user(argv[2], argv[3], argv[4])
        return 0
    if len(argv) == 4 and argv[1] == "serve":
        with app.app_context():
            db.create_all()
        try:
            from waitress import serve
            serve(app, host=argv[2], port=int(argv[3]), threads=8)
        except ImportError:
            app.run(host=argv[2], port=int(argv[3]), threaded=True)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
