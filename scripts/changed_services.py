#!/usr/bin/env python3
"""Which parts of the platform a change touches: what to test, which images to build.

    scripts/changed_services.py --since REF        # changed since REF (commits and work tree)
    scripts/changed_services.py PATH...            # these paths
    scripts/changed_services.py --since REF --format github   # key=value lines for CI
    scripts/changed_services.py --versions         # every image's VERSION, semver-checked
    scripts/changed_services.py --since REF --require-bump    # changed images bumped VERSION

Parts: the four services (user, campaign, pledge, payment), stripe_sandbox, frontend, gateway
(each with an image and a VERSION file), common (the shared package's own suite), deploy
(tests/deploy: compose, Dockerfile, nginx, Kubernetes, CI) and integration (the end-to-end and
browser suites). The shared package, the pinned requirements and the Dockerfile touch every
image; documentation touches nothing; a path no rule knows touches everything. Standard library
only: CI runs it before any package is installed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("user", "campaign", "pledge", "payment")
# Image → (its VERSION file, the Dockerfile target, the image name).
IMAGES = {
    "user": ("user_service/VERSION", "user_service", "user-service"),
    "campaign": ("campaign_service/VERSION", "campaign_service", "campaign-service"),
    "pledge": ("pledge_service/VERSION", "pledge_service", "pledge-service"),
    "payment": ("payment_service/VERSION", "payment_service", "payment-service"),
    "stripe_sandbox": ("stripe_sandbox/VERSION", "stripe_sandbox", "stripe-sandbox"),
    "gateway": ("nginx/VERSION", "gateway", "gateway"),
    "frontend": ("frontend/VERSION", "frontend", "frontend"),
}
PARTS = (*IMAGES, "common", "deploy", "integration")
EVERY_IMAGE = frozenset(IMAGES)
EVERYTHING = frozenset(PARTS)

# (pattern, parts): the first pattern that matches a path decides. `*` matches across "/".
RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("docs/*", frozenset()),
    ("*.md", frozenset()),
    ("LICENSE*", frozenset()),
    ("user_service/*", frozenset({"user"})),
    ("campaign_service/*", frozenset({"campaign"})),
    ("pledge_service/*", frozenset({"pledge"})),
    ("payment_service/*", frozenset({"payment"})),
    ("stripe_sandbox/*", frozenset({"stripe_sandbox"})),
    # The gateway image carries the donor site.
    ("frontend/*", frozenset({"frontend", "gateway"})),
    ("nginx/*", frozenset({"gateway"})),
    ("docker/nginx.conf", frozenset({"gateway"})),
    ("docker/gateway-resolver.envsh", frozenset({"gateway"})),
    # The shared package and the runtime requirements are in every Python image, and the
    # gateway takes the admin's static files from one of them.
    ("common/*", EVERY_IMAGE - {"frontend"} | {"common"}),
    ("requirements/base.*", EVERY_IMAGE - {"frontend"} | {"common"}),
    # Test tools: every Python suite, no image.
    ("requirements/dev.*", frozenset({*SERVICES, "stripe_sandbox", "common", "deploy"})),
    ("Dockerfile", EVERY_IMAGE | {"deploy"}),
    (".dockerignore", EVERY_IMAGE | {"deploy"}),
    ("compose*.yaml", frozenset({"deploy"})),
    ("docker/*", frozenset({"deploy"})),
    ("deploy/*", frozenset({"deploy"})),
    (".github/*", frozenset({"deploy"})),
    (".hadolint.yaml", frozenset({"deploy"})),
    (".env.example", frozenset({"deploy"})),
    ("tests/deploy/*", frozenset({"deploy"})),
    ("scripts/changed_services.py", frozenset({"deploy"})),
    # The container test (scripts/test's "pytest containers deploy" step).
    ("scripts/containers", frozenset({"deploy"})),
    ("tests/containers/*", frozenset({"deploy"})),
    ("tests/integration/*", frozenset({"integration"})),
    ("tests/browser/*", frozenset({"integration"})),
)


def parts_of(path: str) -> frozenset[str]:
    """Return the parts one repository path touches (a path no rule knows: everything)."""
    for pattern, parts in RULES:
        if fnmatch.fnmatchcase(path, pattern):
            return parts
    return EVERYTHING


def touched(paths: list[str]) -> set[str]:
    """Return the parts the paths touch: an image's code also runs the end-to-end suites, and a
    gateway change the deployment checks (the rendered nginx configuration)."""
    parts: set[str] = set()
    for path in paths:
        parts |= parts_of(path)
    if parts & (EVERY_IMAGE | {"common"}):
        parts.add("integration")
    if "gateway" in parts:
        parts.add("deploy")
    return parts


def git(*args: str) -> str:
    command = ["git", "-C", str(ROOT), *args]  # git from PATH, fixed arguments
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603


def changed_since(ref: str) -> list[str]:
    """Return the paths that differ between REF and the work tree, untracked files included."""
    tracked = git("diff", "--name-only", ref).split()
    untracked = git("ls-files", "--others", "--exclude-standard").split()
    return sorted(set(tracked) | set(untracked))


SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


def parse_version(text: str) -> tuple[int, int, int, str]:
    """Return (major, minor, patch, pre-release) of a SemVer 2.0.0 string; ValueError if not."""
    match = SEMVER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH)")
    return int(match[1]), int(match[2]), int(match[3]), match[4] or ""


def newer(new: str, old: str) -> bool:
    """Whether version ``new`` comes after ``old`` (a release comes after its pre-releases)."""
    a, b = parse_version(new), parse_version(old)
    if a[:3] != b[:3]:
        return a[:3] > b[:3]
    if a[3] == b[3]:
        return False
    if not a[3] or not b[3]:
        return not a[3]
    return prerelease_key(a[3]) > prerelease_key(b[3])


def prerelease_key(text: str) -> list[tuple[int, int, str]]:
    """SemVer 2.0.0 §11: numeric identifiers by value and below alphanumeric ones."""
    return [(1, 0, part) if not part.isdigit() else (0, int(part), "") for part in text.split(".")]


def versions(tree: Path | None = None) -> dict[str, str]:
    """Return every image's version, read from its VERSION file and semver-checked."""
    tree = tree or ROOT
    found = {}
    for image, (file, _, _) in IMAGES.items():
        text = (tree / file).read_text().strip()
        parse_version(text)
        found[image] = text
    return found


def bump_errors(ref: str, images: set[str]) -> list[str]:
    """Return a complaint for each changed image whose VERSION is not above its version at REF."""
    errors = []
    current = versions()
    for image in sorted(images):
        file = IMAGES[image][0]
        try:
            before = git("show", f"{ref}:{file}").strip()
        except subprocess.CalledProcessError:
            continue  # a new image: any valid version will do
        if not newer(current[image], before):
            errors.append(f"{image} changed but {file} is still {current[image]} (was {before})")
    return errors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--since", metavar="REF")
    parser.add_argument("--format", choices=("lines", "json", "github"), default="lines")
    parser.add_argument("--versions", action="store_true")
    parser.add_argument("--require-bump", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.versions:
            for image, version in versions().items():
                sys.stdout.write(f"{image} {version}\n")
            return 0
        paths = changed_since(args.since) if args.since else args.paths
        parts = touched(paths)
        if args.require_bump:
            if not args.since:
                parser.error("--require-bump needs --since REF")
            errors = bump_errors(args.since, parts & EVERY_IMAGE)
            for error in errors:
                sys.stderr.write(f"{error}\n")
            return 1 if errors else 0
    except (ValueError, subprocess.CalledProcessError) as error:
        sys.stderr.write(f"changed_services: {error}\n")
        return 2
    ordered = [part for part in PARTS if part in parts]
    if args.format == "json":
        sys.stdout.write(json.dumps(ordered) + "\n")
    elif args.format == "github":
        images = [image for image in ordered if image in IMAGES]
        current = versions()
        matrix = [
            {
                "image": image,
                "target": IMAGES[image][1],
                "name": IMAGES[image][2],
                "version": current[image],
            }
            for image in images
        ]
        sys.stdout.write(f"parts={json.dumps(ordered)}\n")
        sys.stdout.write(f"services={json.dumps([p for p in ordered if p in SERVICES])}\n")
        sys.stdout.write(f"images={json.dumps(matrix)}\n")
        for part in PARTS:
            sys.stdout.write(f"{part}={'true' if part in parts else 'false'}\n")
    else:
        sys.stdout.writelines(f"{part}\n" for part in ordered)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
