"""``pyredis-cluster``: the cluster manager (create/check/fix/reshard/... and a local launcher).

Only its usage exists so far; the cluster-manager issue builds the commands."""

import sys

USAGE = """Usage: pyredis-cluster <command> [arguments]

Commands (being built):
  create host1:port1 ... hostN:portN [--replicas N] [--yes]
  check host:port
  info host:port
  fix host:port
  reshard host:port --from <id> --to <id> --slots <n> [--yes]
  rebalance host:port [--weight <id>=<w> ...] [--use-empty-masters]
  add-node new_host:new_port existing_host:existing_port [--replica] [--master-id <id>]
  del-node host:port node_id
  call host:port command arg arg .. arg
  set-timeout host:port milliseconds
  import host:port --from host:port [--copy] [--replace]
  start | stop | status        a local cluster from conf/
"""


def main(argv=None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(USAGE, end="")
    return 0 if not args or args[0] in ("-h", "--help", "help") else 1


if __name__ == "__main__":
    sys.exit(main())
