"""Command line of the autograder:  python -m autograder COMMAND ...   (see --help)."""
import argparse
import sys

from autograder import release


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="regenerate release/ and solutions/ from source/ with nbgrader")
    rel.add_argument("assignments", nargs="*", help="assignment names (default: all in source/)")
    args = parser.parse_args(argv)
    if args.command == "release":
        release.generate(args.assignments)
        print("release/ and solutions/ regenerated from source/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
