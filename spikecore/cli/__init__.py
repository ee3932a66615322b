"""The ``spikecore`` command line.

Each command lives in its own module of this package and exposes
``add_parser(subparsers)``, which registers its sub-parser and sets ``func`` — the function
``main`` calls with the parsed arguments. To add a command, write the module and add its
name to ``COMMANDS``.
"""
import argparse
import importlib
import sys

COMMANDS = ("info", "demo", "train", "evaluate", "convert", "convert_folder", "encode", "export", "bench")


def build_parser():
    from spikecore import __version__

    parser = argparse.ArgumentParser(
        prog="spikecore",
        description="spikecore: spiking neural networks on NumPy with compiled kernels.",
    )
    parser.add_argument("--version", action="version", version="spikecore " + __version__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module("spikecore.cli." + name).add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, OSError) as exc:
        # A user error (bad argument, unreadable file) is one clear line, not a traceback.
        print("spikecore %s: error: %s" % (args.command, exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
