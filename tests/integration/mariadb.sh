# mariadb.sh - start throw-away mariadbd instances for tests (sourced).
# Each instance: own datadir, port and socket under $T, run as root with
# --user=root, torn down by lib.sh's cleanup (PIDs are tracked).

# mdb_start NAME PORT [extra mariadbd args...]: init + start, create user
# lk/lkpw allowed from 127.0.0.1 and the carrinho database.
mdb_start() {
  local name=$1 port=$2; shift 2
  local dir="$T/$name"
  mkdir -p "$dir"
  mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
    --auth-root-authentication-method=socket --skip-test-db > "$dir/install.log" 2>&1 \
    || { cat "$dir/install.log"; return 1; }
  bg mariadbd --no-defaults --user=root --datadir="$dir/data" --port="$port" \
    --bind-address=127.0.0.1 --socket="$dir/sock" --pid-file="$dir/pid" \
    --log-error="$dir/err.log" --skip-log-bin --innodb-buffer-pool-size=32M \
    --max-connections=500 "$@"
  eval "MDB_PID_$name=$!"
  local i
  for i in $(seq 1 200); do
    mariadb --no-defaults -S "$dir/sock" -u root -e 'select 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  mariadb --no-defaults -S "$dir/sock" -u root <<SQL
CREATE USER 'lk'@'127.0.0.1' IDENTIFIED BY 'lkpw';
GRANT ALL ON *.* TO 'lk'@'127.0.0.1';
CREATE DATABASE carrinho;
CREATE TABLE carrinho.itens (id INT AUTO_INCREMENT PRIMARY KEY, cliente VARCHAR(32),
  produto VARCHAR(64), servidor INT);
SQL
}

# mdb PORT SQL...: run SQL over TCP (as lk) on PORT, batch output
mdb() {
  local port=$1; shift
  mariadb --no-defaults -h 127.0.0.1 -P "$port" -u lk -plkpw -N -B --connect-timeout=5 -e "$*"
}
