"""nginx (one worker) on loopback as a fast fake Moda upstream answering one fixed Task.

Every `GET /v1/tasks/...` gets bench.task's TASK_BODY as a 2026-05-01 Task; anything else 404.
"""

import contextlib
import grp
import os
import pwd
import string
from pathlib import Path
from typing import Final

from bench.loopback import LOOPBACK
from bench.processes import free_ports, spawn, stop, wait_until_answering
from bench.task import CANONICAL_VERSION, TASK_BODY, TASK_PATH

NGINX: Final = Path("/usr/sbin/nginx")

NGINX_CONF: Final = string.Template(
    """$user_line
worker_processes 1;
daemon off;
pid $prefix/nginx.pid;
error_log stderr warn;

events {
    worker_connections $worker_connections;
}

http {
    access_log off;
    client_body_temp_path $prefix/client_body;
    proxy_temp_path $prefix/proxy;
    fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi;
    scgi_temp_path $prefix/scgi;
    keepalive_requests 100000000;

    server {
        listen $host:$port;

        location /v1/tasks/ {
            default_type application/json;
            add_header Moda-Version $version;
            add_header X-Request-ID bench;
            return 200 '$body';
        }

        location / {
            return 404;
        }
    }
}
"""
)


def nginx_literal(text: str) -> str:
    """`text` as the inside of an nginx single-quoted string with no variable interpolation."""
    if any(char in text for char in "'\\$"):
        raise ValueError("the fake upstream body must not contain ', \\ or $")
    return text


def nginx_user_line() -> str:
    # As root nginx drops its workers to nobody:nobody, and Debian has no group `nobody`.
    if os.geteuid() != 0:
        return ""
    user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(os.getegid()).gr_name
    return f"user {user} {group};"


def nginx_config(prefix: Path, port: int, connections: int) -> str:
    return NGINX_CONF.substitute(
        user_line=nginx_user_line(),
        prefix=prefix,
        worker_connections=max(1024, 2 * connections + 256),
        host=LOOPBACK,
        port=port,
        version=CANONICAL_VERSION,
        body=nginx_literal(TASK_BODY),
    )


def start_nginx(stack: contextlib.ExitStack, workdir: Path, connections: int) -> tuple[int, str]:
    """Start the fake upstream; returns its master's pid and its base URL."""
    prefix = workdir / "nginx"
    prefix.mkdir()
    [port] = free_ports(1)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_config(prefix, port, connections), encoding="utf-8")
    log = prefix / "stderr.log"
    process = spawn([str(NGINX), "-p", str(prefix), "-c", str(conf)], log, prefix)
    stack.callback(stop, process)
    base_url = f"http://{LOOPBACK}:{port}"
    wait_until_answering(base_url + TASK_PATH, process, log, "nginx")
    return process.pid, base_url
