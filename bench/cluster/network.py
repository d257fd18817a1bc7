"""What the cluster's daemons listen on and say, on loopback only: free ports, the listening
sockets of a set of processes, and the master's JSON summary (workers and applications)."""
from __future__ import annotations

import errno
import ipaddress
import json
import socket
import urllib.error
import urllib.request
from typing import Optional

import psutil

LOOPBACK = "127.0.0.1"


def port_free(port: int) -> bool:
    """Can a server bind this port on loopback now? (SO_REUSEADDR, as Spark's servers do.)"""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port() -> int:
    """A port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _plain_ip(ip: str) -> str:
    """Java listens on IPv6 sockets: '::ffff:127.0.0.1' is the IPv4 address 127.0.0.1."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    mapped = getattr(addr, "ipv4_mapped", None)
    return str(mapped or addr)


def listening_sockets(pids) -> list[tuple[int, str, int]]:
    """(pid, address, port) of every listening TCP socket of these processes, IPv4-mapped
    IPv6 addresses shown as IPv4."""
    out = []
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out += [(pid, _plain_ip(c.laddr.ip), c.laddr.port) for c in conns
                if c.status == psutil.CONN_LISTEN]
    return out


def master_json(webui_port: int, timeout: float = 2.0) -> Optional[dict]:
    """The master's /json/ summary, or None when it does not answer (yet)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(f"http://{LOOPBACK}:{webui_port}/json/", timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError):
        return None


def alive_workers(summary: Optional[dict]) -> list[dict]:
    return [w for w in (summary or {}).get("workers", []) if w.get("state") == "ALIVE"]
