#!/usr/bin/env python3
"""A throwaway PostgreSQL cluster in a folder of its own, for tests.

    pg_cluster.py start DIR [--port 5433]   initdb into DIR, start, print the URL
    pg_cluster.py stop DIR [--immediate]    stop it (DIR stays until removed)
    pg_cluster.py check                     start one in a temporary folder,
                                            run `select 1`, stop it, remove it

The cluster listens on a unix socket in DIR only (no TCP), with trust
authentication for the user that runs it. Nothing outside DIR is touched:
no system service, no system configuration, and a system PostgreSQL
already running is left alone (another socket, another port number). As
root, the server runs as the user `nobody` (PostgreSQL refuses to run as
root), with DIR handed to that user.

The URL printed is libpq's form with the socket folder as the host:
postgres://USER@/postgres?host=DIR&port=PORT
"""

import argparse
import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile


def binaries():
    """The folder of initdb, pg_ctl and postgres: PATH, else Debian's."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if not candidates:
        raise SystemExit("no PostgreSQL server binaries: install Debian's postgresql (apt-get install postgresql)")
    return candidates[0]


def as_user():
    """The command prefix that runs the server as a user it accepts, and that user's name."""
    if os.geteuid() != 0:
        import getpass
        return [], getpass.getuser()
    return ["runuser", "-u", "nobody", "--"], "nobody"


def run(prefix, command, **options):
    result = subprocess.run(prefix + command, capture_output=True, text=True, **options)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def start(folder, port):
    folder = os.path.abspath(folder)
    prefix, user = as_user()
    bin_dir = binaries()
    data = os.path.join(folder, "data")
    os.makedirs(folder, exist_ok=True)
    if prefix:
        shutil.chown(folder, user="nobody", group="nogroup")
    if not os.path.exists(os.path.join(data, "PG_VERSION")):
        run(prefix, [os.path.join(bin_dir, "initdb"), "-D", data, "-U", user, "--auth=trust", "--no-sync", "-E", "UTF8",
                     "--locale=C"])
    options = f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c port={port} -c fsync=on"
    run(prefix, [os.path.join(bin_dir, "pg_ctl"), "-D", data, "-l", os.path.join(folder, "server.log"), "-o", options, "-w",
                 "start"])
    url = f"postgres://{user}@/postgres?host={folder}&port={port}"
    print(url)
    return url


def stop(folder, mode="fast"):
    """Stops the cluster: `fast` (clients disconnected, a clean shutdown) or
    `immediate` (as a crash: recovery runs at the next start)."""
    folder = os.path.abspath(folder)
    prefix, _ = as_user()
    data = os.path.join(folder, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        run(prefix, [os.path.join(binaries(), "pg_ctl"), "-D", data, "-m", mode, "-w", "stop"])


@contextlib.contextmanager
def throwaway(port):
    """A cluster in a new temporary folder for the duration of a with
    block: yields (folder, URL), then stops it and removes the folder."""
    folder = tempfile.mkdtemp(prefix="civic-ledger-pg-")
    try:
        yield folder, start(folder, port)
    finally:
        try:
            stop(folder)
        except SystemExit:
            pass
        shutil.rmtree(folder, ignore_errors=True)


def check():
    folder = tempfile.mkdtemp(prefix="civic-ledger-pg-")
    try:
        start(folder, 5433)
        prefix, user = as_user()
        out = run([], ["psql", "-h", folder, "-p", "5433", "-U", user, "-d", "postgres", "-Atc", "select 1"])
        if out.strip() != "1":
            raise SystemExit(f"select 1 answered {out!r}")
        print("a throwaway PostgreSQL cluster started, answered and stopped")
    finally:
        stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["start", "stop", "check"])
    parser.add_argument("folder", nargs="?")
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--immediate", action="store_true", help="stop as a crash would")
    args = parser.parse_args()
    if args.action == "check":
        check()
    elif not args.folder:
        sys.exit("start and stop need the cluster's folder")
    elif args.action == "start":
        start(args.folder, args.port)
    else:
        stop(args.folder, mode="immediate" if args.immediate else "fast")


if __name__ == "__main__":
    main()
