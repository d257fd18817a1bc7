"""`cluster start | status | stop`: a standalone Spark cluster on 127.0.0.1 from the shell."""
from __future__ import annotations

import argparse
from pathlib import Path

from . import standalone


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the `cluster` command to an argparse sub-parser set; `run` executes it."""
    parser = subparsers.add_parser(
        "cluster", help="start, inspect or stop a Spark standalone cluster on 127.0.0.1",
        description="A Spark standalone cluster (one master, N workers) bound to 127.0.0.1. "
                    "Logs, worker folders and the pid record live in the state folder.")
    commands = parser.add_subparsers(dest="cluster_command", required=True,
                                     metavar="{start,status,stop}")

    def state_dir_option(p):
        p.add_argument("--state-dir", type=Path, default=None,
                       help="folder for logs, work dirs and the pid record "
                            "(default: .cluster/ in the project)")

    start = commands.add_parser("start", help="start a master and N workers; returns when "
                                              "every worker is ALIVE")
    start.add_argument("--workers", type=int, required=True, help="number of workers")
    start.add_argument("--cores", type=int, required=True, help="cores per worker")
    start.add_argument("--memory", default="1g",
                       help="memory per worker, e.g. 1g or 512m (default: 1g)")
    start.add_argument("--master-port", type=int, default=7077)
    start.add_argument("--webui-port", type=int, default=8080, help="master web UI port")
    start.add_argument("--timeout", type=float, default=120.0,
                       help="seconds to wait for every worker to be ALIVE")
    state_dir_option(start)

    status = commands.add_parser("status", help="pids, master URL and worker states")
    state_dir_option(status)

    stop = commands.add_parser("stop", help="stop exactly the recorded processes")
    stop.add_argument("--timeout", type=float, default=30.0,
                      help="seconds to wait after SIGTERM before SIGKILL")
    state_dir_option(stop)

    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Execute a parsed `cluster` command; the exit code (status: 1 when not all is well)."""
    if args.cluster_command == "start":
        cluster = standalone.start(args.workers, args.cores, args.memory,
                                   state_dir=args.state_dir, master_port=args.master_port,
                                   webui_port=args.webui_port, timeout=args.timeout)
        print(f"master {cluster.master_url}  web UI {cluster.webui_url}")
        print(f"{cluster.workers} worker(s) x {cluster.cores_per_worker} core(s), "
              f"{cluster.memory} each: ALIVE after {cluster.startup_s:.1f} s")
        print(f"pids {' '.join(str(p) for p in cluster.pids)}; state in {cluster.state_dir}")
        print(f"authenticated: its secret is in {cluster.auth_file} (mode 0600); `python -m "
              f"bench run --master {cluster.master_url}` from this project uses it")
        return 0
    if args.cluster_command == "status":
        return _print_status(standalone.status(args.state_dir))
    if args.cluster_command == "stop":
        result = standalone.stop(args.state_dir, timeout=args.timeout)
        ended = result["terminated"] + result["killed"]
        line = f"stopped {len(ended)} process(es) in {result['seconds']:.1f} s"
        if result["killed"]:
            line += f" ({len(result['killed'])} needed SIGKILL)"
        print(line)
        return 0
    raise ValueError(f"unknown cluster command {args.cluster_command!r}")


def _print_status(st: dict) -> int:
    print(f"master {st['master_url']}  web UI {st['webui_url']}  state {st['state_dir']}")
    for proc in st["processes"]:
        print(f"{proc['role']}: pid {proc['pid']} {'alive' if proc['alive'] else 'NOT RUNNING'}")
    if not st["master_reachable"]:
        print("master does not answer on its web UI port")
    for w in st["workers"]:
        print(f"{w['id']}: {w['state']}, {w['cores']} core(s) ({w['cores_used']} used), "
              f"{w['memory_mb']} MiB")
    for app in st["active_apps"]:
        print(f"application {app['id']} ({app['name']}): {app['cores']} core(s)")
    print(f"{st['alive_workers']} of {st['workers_requested']} worker(s) ALIVE")
    healthy = (st["master_reachable"] and all(p["alive"] for p in st["processes"])
               and st["alive_workers"] == st["workers_requested"])
    return 0 if healthy else 1
